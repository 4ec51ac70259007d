/**
 * Fused forward LayerNorm for the `webgl` backend, four programs:
 *   1. shifted mean m per row      (RowReduceProgram, 'shiftedValue')
 *   2. invStd per row, two-pass    (RowReduceProgram, 'deviation' around m)
 *   3. mean = x0 + m per row       (RowMeanProgram)
 *   4. y, normalize-scale-shift    (NormalizeProgram)
 * Long rows add chunk-combining levels to 1 and 2 (reductions.ts). All
 * statistics are of x - x0, x0 the row's first element (row_shift_glsl.ts).
 *
 * Inputs are read as flat unpacked textures (packed ones are unpacked once,
 * texture_views.ts); outputs are unpacked.
 */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {layerNormGeometry, statsShape} from '../../layer_norm_util';
import {NormalizeProgram} from './normalize_gpu';
import {reduceRows} from './reductions';
import {RowMeanProgram} from './row_mean_gpu';
import {flatUnpacked, withShape} from './texture_views';

export function layerNorm(args: {
  inputs: LayerNormInputs,
  backend: MathBackendWebGL,
  attrs: LayerNormAttrs
}): TensorInfo[] {
  const {inputs, backend, attrs: {axis, epsilon}} = args;
  const geometry = layerNormGeometry(inputs.x.shape, axis);
  const meanShape = statsShape(inputs.x.shape, axis);
  if (geometry.outerSize * geometry.innerSize === 0) {
    // Nothing to normalize: the statistics of empty groups are NaN.
    const nan = () => new Float32Array(geometry.outerSize).fill(NaN);
    return [
      backend.makeTensorInfo(inputs.x.shape, 'float32', new Float32Array(0)),
      backend.makeTensorInfo(meanShape, 'float32', nan()),
      backend.makeTensorInfo(meanShape, 'float32', nan()),
    ];
  }

  const temporaries: TensorInfo[] = [];
  const x = flatUnpacked(backend, inputs.x, temporaries);
  const shiftedMean = reduceRows(backend, geometry, 'shiftedValue', {x}, 'mean');
  temporaries.push(shiftedMean);
  const invStd = reduceRows(
      backend, geometry, 'deviation', {x, shiftedMean}, 'invStd', epsilon);
  const mean = backend.runWebGLProgram(
      new RowMeanProgram(geometry), [x, shiftedMean], 'float32');
  const y = backend.runWebGLProgram(
      new NormalizeProgram(geometry),
      [
        x, shiftedMean, invStd, flatUnpacked(backend, inputs.gamma, temporaries),
        flatUnpacked(backend, inputs.beta, temporaries)
      ],
      'float32');
  temporaries.forEach(t => backend.disposeIntermediateTensorInfo(t));
  return [
    withShape(y, inputs.x.shape),
    withShape(mean, meanShape),
    withShape(invStd, meanShape),
  ];
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'webgl',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
