/** Fused forward LayerNorm for the `cpu` backend. */
import * as tf from '@tensorflow/tfjs';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {statsShape} from '../../layer_norm_util';
import {checkForwardKernel} from '../shared/kernel_inputs';
import {forwardGroups} from '../shared/layer_norm_impl';

export function layerNorm(args: {
  inputs: LayerNormInputs,
  backend: MathBackendCPU,
  attrs: LayerNormAttrs
}): tf.TensorInfo[] {
  const {inputs: {x, gamma, beta}, backend, attrs} = args;
  const {layout} = checkForwardKernel('cpu', args.inputs, attrs);
  const y = new Float32Array(layout.groupCount * layout.groupLength);
  const mean = new Float32Array(layout.groupCount);
  const invStd = new Float32Array(layout.groupCount);
  forwardGroups(
      layout, readFloat32(backend, x), readFloat32(backend, gamma),
      readFloat32(backend, beta), y, mean, invStd, attrs.epsilon);
  const statShape = statsShape(x.shape, attrs.axis);
  return [
    backend.makeTensorInfo(x.shape, 'float32', y),
    backend.makeTensorInfo(statShape, 'float32', mean),
    backend.makeTensorInfo(statShape, 'float32', invStd),
  ];
}

/**
 * A tensor's values as a Float32Array: no copy for float32, a converted copy
 * for int32. One array type keeps the loops monomorphic (much faster in V8).
 */
export function readFloat32(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array {
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'cpu',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
