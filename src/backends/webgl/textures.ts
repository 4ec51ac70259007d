/** How the programs here see textures: views of inputs, flat outputs. */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

/**
 * `t` unpacked, with `shape` (same size): free for an unpacked texture,
 * whatever its logical shape. A packed one is unpacked once here rather than
 * by every program reading it; the copy goes to `temporaries`.
 */
export function unpackedView(
    backend: MathBackendWebGL, t: TensorInfo, shape: number[],
    temporaries: TensorInfo[]): TensorInfo {
  let source = t;
  if (backend.texData.get(t.dataId).isPacked) {
    // Packing blocks the last two dims only, so [batch, rows, columns] is the
    // same texture at a rank TF.js's unpack program takes.
    const rank = t.shape.length;
    const folded = rank <= 3 ? t.shape :
        [tf.util.sizeFromShape(t.shape.slice(0, -2)), ...t.shape.slice(-2)];
    source = backend.unpackTensor({...t, shape: folded});
    temporaries.push(source);
  }
  return {dataId: source.dataId, shape, dtype: source.dtype};
}

export function flatView(
    backend: MathBackendWebGL, t: TensorInfo, temporaries: TensorInfo[]): TensorInfo {
  return unpackedView(backend, t, [tf.util.sizeFromShape(t.shape)], temporaries);
}

/** A program output handed over with its logical shape, sharing the texture. */
export function withShape(t: TensorInfo, shape: number[]): TensorInfo {
  return {dataId: t.dataId, shape, dtype: t.dtype};
}

/**
 * [height, width] as square as count's factors allow: a texture one texel
 * high leaves half of every 2x2 fragment block idle (twice as slow on
 * SwiftShader). Unpacked, it keeps the flat order, so it is read back flat.
 */
export function flatOutputShape(count: number): [number, number] {
  let height = Math.floor(Math.sqrt(count));
  while (height > 1 && count % height !== 0) {
    height--;
  }
  height = Math.max(height, 1);
  return [height, count / height];
}

/** GLSL defining `int outIndex`, the flat index of the output element. */
export function flatOutputIndexGlsl(shape: [number, number]): string {
  return `ivec2 outCoords = getOutputCoords();
        int outIndex = outCoords.x * ${shape[1]} + outCoords.y;`;
}

export function flatOutput(t: TensorInfo): TensorInfo {
  return {dataId: t.dataId, shape: [t.shape[0] * t.shape[1]], dtype: t.dtype};
}
