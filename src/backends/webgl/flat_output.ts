/**
 * Outputs of the reduction and per-row programs: `count` values in flat
 * order, laid out as a 2-D [height, width] texture as close to square as
 * the count's factors allow. A texture one texel high leaves idle half of
 * every 2x2 block of fragments that GPUs (and SwiftShader) shade together;
 * the squarish layout made the row reductions twice as fast on SwiftShader.
 * An unpacked texture keeps the flat order whatever its 2-D shape, so the
 * output is handed on as a flat [count] tensor (`flatOutput`).
 */
import type {TensorInfo} from '@tensorflow/tfjs';

/** [height, width] with height * width = count, height the largest divisor <= sqrt(count). */
export function flatOutputShape(count: number): [number, number] {
  let height = Math.floor(Math.sqrt(count));
  while (height > 1 && count % height !== 0) {
    height--;
  }
  height = Math.max(height, 1);
  return [height, count / height];
}

/** GLSL statement defining `int outIndex`, the flat index of the output element. */
export function flatOutputIndexGlsl(shape: [number, number]): string {
  return `ivec2 outCoords = getOutputCoords();
        int outIndex = outCoords.x * ${shape[1]} + outCoords.y;`;
}

/** A program's flat output as the flat tensor it stands for. */
export function flatOutput(t: TensorInfo): TensorInfo {
  return {dataId: t.dataId, shape: [t.shape[0] * t.shape[1]], dtype: t.dtype};
}
