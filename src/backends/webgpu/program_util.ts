/**
 * TensorInfo helpers shared by the webgpu kernels of this package.
 */
import type {TensorInfo} from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

/** The same buffer seen as 1-D, how every program of this package reads it. */
export function flat(t: TensorInfo): TensorInfo {
  return {dataId: t.dataId, shape: [sizeOf(t.shape)], dtype: t.dtype};
}

/** A program's flat output handed back under its real shape (no copy). */
export function withShape(t: TensorInfo, shape: number[]): TensorInfo {
  return {dataId: t.dataId, shape, dtype: t.dtype};
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A float32 tensor of `shape` filled with `value`, made on the host. */
export function filled(
    backend: WebGPUBackend, shape: number[], value: number): TensorInfo {
  return backend.makeTensorInfo(
      shape, 'float32', new Float32Array(sizeOf(shape)).fill(value));
}
