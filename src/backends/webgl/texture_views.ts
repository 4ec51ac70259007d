/**
 * Views of tensors as the programs here read them: unpacked, x-shaped ones
 * with the layout's view shape, all others flat (1-D).
 */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

/**
 * `t` unpacked, with `shape` (same size). An unpacked texture stores its
 * elements in row-major order whatever its logical shape, so the reshape is
 * free; a packed one (WEBGL_PACK producers) stores 2x2 blocks of its last
 * two dims and is unpacked first, once, rather than by every program that
 * reads it. The unpacked copy, if any, is pushed to `temporaries` for the
 * caller to dispose.
 */
export function unpackedView(
    backend: MathBackendWebGL, t: TensorInfo, shape: number[],
    temporaries: TensorInfo[]): TensorInfo {
  let source = t;
  if (backend.texData.get(t.dataId).isPacked) {
    source = backend.unpackTensor(t);
    temporaries.push(source);
  }
  return {dataId: source.dataId, shape, dtype: source.dtype};
}

/** `t` unpacked and flat. */
export function flatView(
    backend: MathBackendWebGL, t: TensorInfo, temporaries: TensorInfo[]): TensorInfo {
  return unpackedView(backend, t, [tf.util.sizeFromShape(t.shape)], temporaries);
}

/**
 * A program output (held by nobody else) handed over with its logical
 * shape: as the webgl backend's own reshape, the texture is shared, not
 * copied (unpacked data, or packed data whose layout the shape keeps, see
 * usePackedOutput).
 */
export function withShape(t: TensorInfo, shape: number[]): TensorInfo {
  return {dataId: t.dataId, shape, dtype: t.dtype};
}
