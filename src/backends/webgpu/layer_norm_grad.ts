/**
 * Backward LayerNorm on `webgpu`. At one invocation per group with strips
 * enough, two dispatches: dx and per-strip partial sums of dGamma/dBeta,
 * added up. Otherwise three: dx with its per-group coefficients, then
 * dGamma/dBeta as block partial sums, added up. Temporaries: 2 * paramSize
 * per strip or block, and 4 floats per group.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {groupLayout} from '../../layout';
import {FusedGradProgram, ParamGradSumsProgram} from './fused_grad_webgpu';
import {runFused} from './fused_pipeline';
import {GradStripProgram} from './grad_strip_webgpu';
import {groupsPerWorkgroup, groupWorkgroupSize} from './group_workgroup';
import {WgslLayout} from './layout_wgsl';
import {itemsPerBlock, ParamGradPartialProgram} from './param_grad_webgpu';
import {filled, flat} from './program_util';

/** Workgroups of strips below which the strip backward leaves cores idle. */
const MIN_STRIP_WORKGROUPS = 8;

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

  const dx = backend.makeTensorInfo(x.shape, 'float32');
  const [dGamma, dBeta] = [0, 1].map(() => backend.makeTensorInfo(paramShape, 'float32'));
  const xInt = backend.tensorMap.get(x.dataId).dtype === 'int32';
  const size = groupWorkgroupSize(backend, layout.groupUnits, layout.groupCount);
  const packing = groupsPerWorkgroup(backend, size);
  // Strips of about sqrt(groupCount) groups: short float32 chains both ways.
  const groupsPerStrip = itemsPerBlock(layout.groupCount);
  const stripCount = Math.ceil(layout.groupCount / groupsPerStrip);
  if (size === 1 && stripCount >= MIN_STRIP_WORKGROUPS * packing) {
    const partialSums = backend.makeTensorInfo([stripCount * 2 * layout.paramSize], 'float32');
    runFused(
        backend, new GradStripProgram(layout, stripCount, packing, xInt),
        [x, dy, gamma, invStd, dMean, dInvStd], [dx, partialSums], [
          ...layout.uniformData, {type: 'int32', data: [groupsPerStrip]},
          {type: 'int32', data: [stripCount]}
        ]);
    sumPartials(backend, layout, partialSums, stripCount, dGamma, dBeta);
    return [dx, dGamma, dBeta];
  }
  const gradCoefficients = backend.makeTensorInfo([layout.groupCount * 4], 'float32');
  runFused(
      backend, new FusedGradProgram(layout, size, packing, xInt),
      [x, dy, gamma, invStd, dMean, dInvStd], [dx, gradCoefficients], layout.uniformData);

  const blockItems = itemsPerBlock(layout.reduceLength);
  const blockCount = Math.ceil(layout.reduceLength / blockItems);
  const partialSums = backend.runWebGPUProgram(
      new ParamGradPartialProgram(layout, blockCount),
      [flat(x), flat(dy), flat(invStd), gradCoefficients], 'float32', [
        ...layout.uniformData, {type: 'int32', data: [blockItems]},
        {type: 'int32', data: [blockCount]}
      ]);
  backend.disposeData(gradCoefficients.dataId);
  sumPartials(backend, layout, partialSums, blockCount, dGamma, dBeta);
  return [dx, dGamma, dBeta];
}

/** dGamma and dBeta from [blocks, 2, paramSize] partial sums, which it disposes. */
function sumPartials(
    backend: WebGPUBackend, layout: WgslLayout, partialSums: tf.TensorInfo, blockCount: number,
    dGamma: tf.TensorInfo, dBeta: tf.TensorInfo): void {
  runFused(
      backend, new ParamGradSumsProgram(layout.paramUnits, layout.components), [partialSums],
      [dGamma, dBeta], [{type: 'int32', data: [layout.paramUnits]}, {type: 'int32', data: [blockCount]}]);
  backend.disposeData(partialSums.dataId);
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'webgpu',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
