/**
 * Fused forward LayerNorm for the `webgl` backend, four programs:
 *   1. shifted mean m per row      (RowReduceProgram, 'shiftedValue')
 *   2. invStd per row, two-pass    (RowReduceProgram, 'deviation' around m)
 *   3. mean = x0 + m per row       (RowMeanProgram)
 *   4. y, normalize-scale-shift    (normalizeProgram)
 * Long rows add chunk-combining levels to 1 and 2 (reductions.ts). All
 * statistics are of x - x0, x0 the row's first element (element_layout.ts).
 *
 * Inputs are read unpacked (packed ones are unpacked once,
 * texture_views.ts); y is packed when WEBGL_PACK is on and the axes are
 * trailing (elementwise_gpu.ts), the statistics are unpacked.
 */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {layerNormGeometry, statsShape} from '../../layer_norm_util';
import {elementLayout} from './element_layout';
import {normalizeProgram, usePackedOutput} from './elementwise_gpu';
import {flatOutput} from './flat_output';
import {reduceRows} from './reductions';
import {RowMeanProgram} from './row_mean_gpu';
import {flatView, unpackedView, withShape} from './texture_views';

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

  const layout = elementLayout(geometry);
  const temporaries: TensorInfo[] = [];
  const x = unpackedView(backend, inputs.x, layout.viewShape, temporaries);
  const shiftedMean = reduceRows(backend, layout, 'shiftedValue', {x}, 'mean');
  temporaries.push(shiftedMean);
  const invStd = reduceRows(
      backend, layout, 'deviation', {x, shiftedMean}, 'invStd', epsilon);
  const mean = flatOutput(backend.runWebGLProgram(
      new RowMeanProgram(layout), [x, shiftedMean], 'float32'));
  const y = backend.runWebGLProgram(
      normalizeProgram(layout, usePackedOutput(layout, inputs.x.shape)),
      [
        x, shiftedMean, invStd, flatView(backend, inputs.gamma, temporaries),
        flatView(backend, inputs.beta, temporaries)
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
