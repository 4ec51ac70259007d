/** Fused backward LayerNorm for the `cpu` backend. */
import * as tf from '@tensorflow/tfjs';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {checkBackwardKernel} from '../shared/kernel_inputs';
import {backwardGroups, GradArrays} from '../shared/layer_norm_grad_impl';
import {readFloat32} from './layer_norm';

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: MathBackendCPU,
  attrs: LayerNormGradAttrs
}): tf.TensorInfo[] {
  const {inputs, backend} = args;
  const layout = checkBackwardKernel('cpu', inputs, args.attrs);
  const a: GradArrays = {
    dy: readFloat32(backend, inputs.dy),
    x: readFloat32(backend, inputs.x),
    invStd: readFloat32(backend, inputs.invStd),
    gamma: readFloat32(backend, inputs.gamma),
    dMean: readFloat32(backend, inputs.dMean),
    dInvStd: readFloat32(backend, inputs.dInvStd),
    dx: new Float32Array(layout.groupCount * layout.groupLength),
    dGamma: new Float64Array(layout.paramSize),
    dBeta: new Float64Array(layout.paramSize),
  };
  backwardGroups(layout, a);
  const paramShape = inputs.gamma.shape;
  return [
    backend.makeTensorInfo(inputs.x.shape, 'float32', a.dx),
    backend.makeTensorInfo(paramShape, 'float32', Float32Array.from(a.dGamma)),
    backend.makeTensorInfo(paramShape, 'float32', Float32Array.from(a.dBeta)),
  ];
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'cpu',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
