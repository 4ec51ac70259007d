/**
 * Views of tensors as the programs here read them: flat (1-D) and unpacked.
 */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

/**
 * `t` as a flat unpacked tensor. An unpacked texture stores elements in
 * row-major order whatever its logical shape, so flattening is free; a
 * packed one (WEBGL_PACK producers) stores 2x2 blocks of its last two dims
 * and is unpacked first, once, rather than by every program that reads it.
 * The unpacked copy, if any, is pushed to `temporaries` for the caller to
 * dispose.
 */
export function flatUnpacked(
    backend: MathBackendWebGL, t: TensorInfo, temporaries: TensorInfo[]): TensorInfo {
  let source = t;
  if (backend.texData.get(t.dataId).isPacked) {
    source = backend.unpackTensor(t);
    temporaries.push(source);
  }
  return {dataId: source.dataId, shape: [tf.util.sizeFromShape(t.shape)], dtype: source.dtype};
}

/**
 * A program output (flat, unpacked, held by nobody else) handed over with
 * its logical shape: as the webgl backend's own reshape of unpacked data,
 * the texture is shared, not copied.
 */
export function withShape(t: TensorInfo, shape: number[]): TensorInfo {
  return {dataId: t.dataId, shape, dtype: t.dtype};
}
