/**
 * Fused backward LayerNorm for the `webgpu` backend, five dispatches:
 *   1. LayerNormGradRowProgram: per-row coefficients (one workgroup per row);
 *   2. LayerNormGradInputProgram: dx, element-wise;
 *   3. LayerNormParamGradPartialProgram: dGamma/dBeta partial column sums
 *      over blocks of rows;
 *   4-5. ParamGradSumProgram: the blocks added up, once per output.
 * Temporaries: 4 floats per row and 2 * rowLength per block of rows; the
 * only full-size buffer written is dx itself.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {layerNormGeometry} from '../../layer_norm_util';
import {LayerNormGradInputProgram} from './layer_norm_grad_input_webgpu';
import {LayerNormGradRowProgram} from './layer_norm_grad_row_webgpu';
import {LayerNormParamGradPartialProgram, ParamGrad, ParamGradSumProgram, rowsPerBlock} from './layer_norm_param_grad_webgpu';
import {filled, flat, withShape} from './program_util';
import {RowLayout} from './row_layout';
import {rowWorkgroupSize} from './row_workgroup';

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: WebGPUBackend,
  attrs: LayerNormGradAttrs
}): tf.TensorInfo[] {
  const {inputs, backend, attrs: {axis}} = args;
  const {x, dy, gamma, invStd, dMean, dInvStd} = inputs;
  const paramShape = gamma.shape;
  if (tf.util.sizeFromShape(x.shape) === 0) {
    // No rows (sums of nothing: zeros) or empty rows (no parameters).
    return [
      backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0)),
      filled(backend, paramShape, 0), filled(backend, paramShape, 0),
    ];
  }
  const layout = new RowLayout(layerNormGeometry(x.shape, axis));

  const rowWorkgroup = rowWorkgroupSize(backend, layout.rowUnits);
  const rowCoefficients = backend.runWebGPUProgram(
      new LayerNormGradRowProgram(layout, rowWorkgroup),
      [x, dy, gamma, invStd, dMean, dInvStd].map(flat), 'float32',
      layout.uniformData);

  const dx = backend.runWebGPUProgram(
      new LayerNormGradInputProgram(layout),
      [flat(x), flat(dy), flat(gamma), flat(invStd), rowCoefficients],
      'float32', layout.uniformData);

  const blockRows = rowsPerBlock(layout.outerSize);
  const blockCount = Math.ceil(layout.outerSize / blockRows);
  const partialSums = backend.runWebGPUProgram(
      new LayerNormParamGradPartialProgram(layout, blockCount),
      [flat(x), flat(dy), flat(invStd), rowCoefficients], 'float32', [
        ...layout.uniformData, {type: 'int32', data: [blockRows]},
        {type: 'int32', data: [blockCount]}
      ]);
  const [dGamma, dBeta] = [ParamGrad.GAMMA, ParamGrad.BETA].map(
      param => backend.runWebGPUProgram(
          new ParamGradSumProgram(layout.rowLength, layout.components, param),
          [partialSums], 'float32', [{type: 'int32', data: [blockCount]}]));
  backend.disposeData(rowCoefficients.dataId);
  backend.disposeData(partialSums.dataId);

  return [
    withShape(dx, x.shape), withShape(dGamma, paramShape),
    withShape(dBeta, paramShape)
  ];
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'webgpu',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
