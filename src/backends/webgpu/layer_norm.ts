/**
 * Fused forward LayerNorm for the `webgpu` backend, four dispatches:
 *   1. LayerNormStatsProgram: per-row statistics (one workgroup per row,
 *      tree reduction in shared memory), one vec4 per row;
 *   2. LayerNormNormalizeProgram: y, element-wise, vec4 when it can;
 *   3-4. RowStatProgram twice: the mean and invStd outputs (rows-sized copies).
 * TF.js's runWebGPUProgram binds exactly one writable buffer per dispatch,
 * so y cannot be written by the dispatch that reduces; splitting the row
 * reduction from the element-wise write costs one extra read of x and lets
 * y use every invocation however few the rows are. No full-size temporary.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {layerNormGeometry, statsShape} from '../../layer_norm_util';
import {LayerNormNormalizeProgram} from './layer_norm_normalize_webgpu';
import {LayerNormStatsProgram, RowStat} from './layer_norm_stats_webgpu';
import {filled, flat, withShape} from './program_util';
import {RowLayout} from './row_layout';
import {rowWorkgroupSize} from './row_workgroup';
import {RowStatProgram} from './row_stat_webgpu';

export function layerNorm(args: {
  inputs: LayerNormInputs,
  backend: WebGPUBackend,
  attrs: LayerNormAttrs
}): tf.TensorInfo[] {
  const {inputs: {x, gamma, beta}, backend, attrs: {axis, epsilon}} = args;
  const statShape = statsShape(x.shape, axis);
  if (tf.util.sizeFromShape(x.shape) === 0) {
    // Nothing to dispatch; an empty group has mean 0/0 = NaN, as on cpu.
    return [
      backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0)),
      filled(backend, statShape, NaN), filled(backend, statShape, NaN),
    ];
  }
  const layout = new RowLayout(layerNormGeometry(x.shape, axis));

  const rowWorkgroup = rowWorkgroupSize(backend, layout.rowUnits);
  const rowStats = backend.runWebGPUProgram(
      new LayerNormStatsProgram(layout, rowWorkgroup), [flat(x)], 'float32',
      [...layout.uniformData, {type: 'float32', data: [epsilon]}]);
  const y = backend.runWebGPUProgram(
      new LayerNormNormalizeProgram(layout),
      [flat(x), flat(gamma), flat(beta), rowStats], 'float32',
      layout.uniformData);
  const [mean, invStd] = [RowStat.MEAN, RowStat.INV_STD].map(
      statLane => backend.runWebGPUProgram(
          new RowStatProgram(layout.outerSize, statLane), [rowStats],
          'float32'));
  backend.disposeData(rowStats.dataId);

  return [
    withShape(y, x.shape), withShape(mean, statShape),
    withShape(invStd, statShape)
  ];
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'webgpu',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
