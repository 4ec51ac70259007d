/**
 * Forward LayerNorm on `webgpu`: group statistics (one workgroup per group),
 * y element-wise, then the mean and invStd lanes copied out (TF.js's program
 * runner binds one output per dispatch). No full-size temporary.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {statsShape} from '../../layer_norm_util';
import {groupLayout} from '../../layout';
import {GroupStat, GroupStatLaneProgram, GroupStatsProgram} from './group_stats_webgpu';
import {groupWorkgroupSize} from './group_workgroup';
import {WgslLayout} from './layout_wgsl';
import {NormalizeProgram} from './normalize_webgpu';
import {filled, flat, withShape} from './program_util';

export function layerNorm(args: {
  inputs: LayerNormInputs,
  backend: WebGPUBackend,
  attrs: LayerNormAttrs
}): tf.TensorInfo[] {
  const {inputs: {x, gamma, beta}, backend, attrs: {axis, epsilon, featureAxes}} = args;
  const statShape = statsShape(x.shape, axis);
  if (tf.util.sizeFromShape(x.shape) === 0) {
    // An empty group has mean 0/0 = NaN, as on cpu.
    return [
      backend.makeTensorInfo(x.shape, 'float32', new Float32Array(0)),
      filled(backend, statShape, NaN), filled(backend, statShape, NaN),
    ];
  }
  const layout = new WgslLayout(groupLayout(x.shape, axis, featureAxes));

  const groupStats = backend.runWebGPUProgram(
      new GroupStatsProgram(layout, groupWorkgroupSize(backend, layout.groupUnits)),
      [flat(x)], 'float32', [...layout.uniformData, {type: 'float32', data: [epsilon]}]);
  const y = backend.runWebGPUProgram(
      new NormalizeProgram(layout), [flat(x), flat(gamma), flat(beta), groupStats],
      'float32', layout.uniformData);
  const [mean, invStd] = [GroupStat.MEAN, GroupStat.INV_STD].map(
      lane => backend.runWebGPUProgram(
          new GroupStatLaneProgram(layout.groupCount, lane), [groupStats], 'float32'));
  backend.disposeData(groupStats.dataId);

  return [withShape(y, x.shape), withShape(mean, statShape), withShape(invStd, statShape)];
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'webgpu',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
