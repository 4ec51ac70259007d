/**
 * Forward LayerNorm on `webgpu`: one dispatch (fused_forward_webgpu.ts, or
 * forward_pairs_webgpu.ts at one invocation per group), no temporary.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {statsShape} from '../../layer_norm_util';
import {groupLayout} from '../../layout';
import {ForwardPairsProgram} from './forward_pairs_webgpu';
import {FusedForwardProgram} from './fused_forward_webgpu';
import {runFused} from './fused_pipeline';
import {groupsPerWorkgroup, groupWorkgroupSize} from './group_workgroup';
import {WgslLayout} from './layout_wgsl';
import {filled} from './program_util';

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

  const outputs = [x.shape, statShape, statShape].map(
      shape => backend.makeTensorInfo(shape, 'float32'));
  const size = groupWorkgroupSize(backend, layout.groupUnits, layout.groupCount);
  const xInt = backend.tensorMap.get(x.dataId).dtype === 'int32';
  runFused(
      backend, size === 1 ? new ForwardPairsProgram(layout, groupsPerWorkgroup(backend, size), xInt) :
                            new FusedForwardProgram(layout, size, xInt),
      [x, gamma, beta], outputs, [...layout.uniformData, {type: 'float32', data: [epsilon]}]);
  return outputs;
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'webgpu',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
