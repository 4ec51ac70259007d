/**
 * TensorInfo helpers shared by the webgpu kernels of this package.
 */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

/** The same buffer seen as 1-D, how every program of this package reads it. */
export function flat(t: TensorInfo): TensorInfo {
  return {dataId: t.dataId, shape: [tf.util.sizeFromShape(t.shape)], dtype: t.dtype};
}

/** A float32 tensor of `shape` filled with `value`, made on the host. */
export function filled(
    backend: WebGPUBackend, shape: number[], value: number): TensorInfo {
  return backend.makeTensorInfo(
      shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape)).fill(value));
}
