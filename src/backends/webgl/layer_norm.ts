/**
 * Forward LayerNorm on `webgl`: the shifted mean and the root mean square of
 * the deviations per group (generic reducer), invStd and mean per group,
 * then y element-wise (packed when WEBGL_PACK is on and the layout allows).
 */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {statsShape} from '../../layer_norm_util';
import {groupLayout} from '../../layout';
import {normalizeProgram, usePackedOutput} from './elementwise_gpu';
import {GroupProgram} from './group_gpu';
import {GlslLayout} from './layout_glsl';
import {reduce} from './reduce_gpu';
import {flatOutput, flatView, unpackedView, withShape} from './textures';

export function layerNorm(args: {
  inputs: LayerNormInputs,
  backend: MathBackendWebGL,
  attrs: LayerNormAttrs
}): TensorInfo[] {
  const {inputs, backend, attrs: {axis, epsilon, featureAxes}} = args;
  const meanShape = statsShape(inputs.x.shape, axis);
  if (tf.util.sizeFromShape(inputs.x.shape) === 0) {
    // The statistics of empty groups are NaN.
    const nan = () => new Float32Array(tf.util.sizeFromShape(meanShape)).fill(NaN);
    return [
      backend.makeTensorInfo(inputs.x.shape, 'float32', new Float32Array(0)),
      backend.makeTensorInfo(meanShape, 'float32', nan()),
      backend.makeTensorInfo(meanShape, 'float32', nan()),
    ];
  }
  const layout = new GlslLayout(groupLayout(inputs.x.shape, axis, featureAxes));
  const temporaries: TensorInfo[] = [];
  const x = unpackedView(backend, inputs.x, layout.viewShape, temporaries);
  const groupReduce = {
    segments: layout.groupCount, length: layout.groupLength,
    segmentPosition: 'groupPosition', itemPosition: 'columnPosition',
  } as const;
  const shiftedMean = reduce(backend, layout, {
    ...groupReduce, inputs: {x}, reduction: 'mean',
    setup: 'float shift = groupShift(segment);', term: `${layout.read('getX')} - shift`,
  });
  const deviation = reduce(backend, layout, {
    ...groupReduce, inputs: {x, shiftedMean}, reduction: 'rootMeanSquare',
    setup: 'float shift = groupShift(segment); float centre = getShiftedMean(segment);',
    term: `(${layout.read('getX')} - shift) - centre`,
  });
  temporaries.push(shiftedMean, deviation);
  const invStd = flatOutput(backend.runWebGLProgram(
      new GroupProgram(layout, ['deviation'],
                       'inversesqrt(getDeviation(group) * getDeviation(group) + epsilon)',
                       ['epsilon']),
      [deviation], 'float32', [[epsilon]]));
  const mean = flatOutput(backend.runWebGLProgram(
      new GroupProgram(layout, ['x', 'shiftedMean'], 'groupShift(group) + getShiftedMean(group)'),
      [x, shiftedMean], 'float32'));
  const y = backend.runWebGLProgram(
      normalizeProgram(layout, usePackedOutput(layout, inputs.x.shape)),
      [
        x, shiftedMean, invStd, flatView(backend, inputs.gamma, temporaries),
        flatView(backend, inputs.beta, temporaries)
      ],
      'float32');
  temporaries.forEach(t => backend.disposeIntermediateTensorInfo(t));
  return [
    withShape(y, inputs.x.shape), withShape(mean, meanShape), withShape(invStd, meanShape)
  ];
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'webgl',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
