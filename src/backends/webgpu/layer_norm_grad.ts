/**
 * Backward LayerNorm on `webgpu`: per-group dx coefficients (one workgroup
 * per group), dx element-wise, then dGamma/dBeta as block partial sums added
 * up per output. Temporaries: 4 floats per group, 2 * paramSize per block.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {groupLayout} from '../../layout';
import {GradGroupProgram} from './grad_group_webgpu';
import {GradInputProgram} from './grad_input_webgpu';
import {groupWorkgroupSize} from './group_workgroup';
import {WgslLayout} from './layout_wgsl';
import {itemsPerBlock, ParamGrad, ParamGradPartialProgram, ParamGradSumProgram} from './param_grad_webgpu';
import {filled, flat, withShape} from './program_util';

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: WebGPUBackend,
  attrs: LayerNormGradAttrs
}): tf.TensorInfo[] {
  const {inputs, backend, attrs: {axis, featureAxes}} = args;
  const {x, dy, gamma, invStd, dMean, dInvStd} = inputs;
  const paramShape = gamma.shape;
  if (tf.util.sizeFromShape(x.shape) === 0) {
    // Sums over no elements are zero.
    return [
      backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0)),
      filled(backend, paramShape, 0), filled(backend, paramShape, 0),
    ];
  }
  const layout = new WgslLayout(groupLayout(x.shape, axis, featureAxes));

  const gradCoefficients = backend.runWebGPUProgram(
      new GradGroupProgram(layout, groupWorkgroupSize(backend, layout.groupUnits)),
      [x, dy, gamma, invStd, dMean, dInvStd].map(flat), 'float32', layout.uniformData);
  const dx = backend.runWebGPUProgram(
      new GradInputProgram(layout),
      [flat(x), flat(dy), flat(gamma), flat(invStd), gradCoefficients], 'float32',
      layout.uniformData);

  const blockItems = itemsPerBlock(layout.reduceLength);
  const blockCount = Math.ceil(layout.reduceLength / blockItems);
  const partialSums = backend.runWebGPUProgram(
      new ParamGradPartialProgram(layout, blockCount),
      [flat(x), flat(dy), flat(invStd), gradCoefficients], 'float32', [
        ...layout.uniformData, {type: 'int32', data: [blockItems]},
        {type: 'int32', data: [blockCount]}
      ]);
  const [dGamma, dBeta] = [ParamGrad.GAMMA, ParamGrad.BETA].map(
      param => backend.runWebGPUProgram(
          new ParamGradSumProgram(layout.paramSize, layout.components, param),
          [partialSums], 'float32', [{type: 'int32', data: [blockCount]}]));
  backend.disposeData(gradCoefficients.dataId);
  backend.disposeData(partialSums.dataId);

  return [withShape(dx, x.shape), withShape(dGamma, paramShape), withShape(dBeta, paramShape)];
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'webgpu',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
