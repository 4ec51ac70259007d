/**
 * Fused backward LayerNorm for the `webgl` backend:
 *   row reductions   shifted mean m (recomputed from x, see below), <g> and
 *                    <g * xhat> per row (g = dy * gamma)
 *   coefficients     two per row (GradCoefficientProgram)
 *   dx               one elementwise program (inputGradProgram; packed as y
 *                    in the forward)
 *   dBeta, dGamma    column reductions of dy and dy * xhat
 * No full-size temporary besides dx itself (and unpacked copies of packed
 * inputs).
 *
 * The row mean is recomputed as x0 + m, as the forward did, rather than read
 * from the saved f32 mean: that one is off by up to |mean| * 2^-24, which on
 * a row of mean 1e4 and spread 1 would shift every xhat by ~6e-4.
 */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {layerNormGeometry} from '../../layer_norm_util';
import {elementLayout} from './element_layout';
import {inputGradProgram, usePackedOutput} from './elementwise_gpu';
import {flatOutput} from './flat_output';
import {GradCoefficient, GradCoefficientProgram} from './grad_coefficients_gpu';
import {reduceColumns, reduceRows} from './reductions';
import {flatView, unpackedView, withShape} from './texture_views';

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: MathBackendWebGL,
  attrs: LayerNormGradAttrs
}): TensorInfo[] {
  const {inputs, backend, attrs: {axis}} = args;
  const geometry = layerNormGeometry(inputs.x.shape, axis);
  const {outerSize, innerSize} = geometry;
  const paramShape = inputs.gamma.shape;
  if (outerSize * innerSize === 0) {
    // No elements: dx is empty, and sums over no rows are zero.
    return [
      backend.makeTensorInfo(inputs.x.shape, 'float32', new Float32Array(0)),
      backend.makeTensorInfo(paramShape, 'float32', new Float32Array(innerSize)),
      backend.makeTensorInfo(paramShape, 'float32', new Float32Array(innerSize)),
    ];
  }

  const layout = elementLayout(geometry);
  const temporaries: TensorInfo[] = [];
  const flat = (t: TensorInfo) => flatView(backend, t, temporaries);
  const dy = unpackedView(backend, inputs.dy, layout.viewShape, temporaries);
  const x = unpackedView(backend, inputs.x, layout.viewShape, temporaries);
  const gamma = flat(inputs.gamma);
  const invStd = flat(inputs.invStd);
  const keep = (t: TensorInfo) => {
    temporaries.push(t);
    return t;
  };

  const shiftedMean = keep(reduceRows(backend, layout, 'shiftedValue', {x}, 'mean'));
  const meanG = keep(reduceRows(backend, layout, 'scaledGradient', {dy, gamma}, 'mean'));
  const meanGXhat = keep(reduceRows(
      backend, layout, 'scaledGradientTimesXhat', {dy, gamma, x, shiftedMean, invStd},
      'mean'));
  const rowInputs =
      [invStd, shiftedMean, meanG, meanGXhat, flat(inputs.dMean), flat(inputs.dInvStd)];
  const coefficient = (which: GradCoefficient) => keep(flatOutput(backend.runWebGLProgram(
      new GradCoefficientProgram(outerSize, innerSize, which), rowInputs, 'float32')));

  const dx = backend.runWebGLProgram(
      inputGradProgram(layout, usePackedOutput(layout, inputs.x.shape)),
      [dy, gamma, x, invStd, coefficient('xhatScale'), coefficient('offset')], 'float32');
  const dBeta = reduceColumns(backend, layout, 'gradient', {dy});
  const dGamma = reduceColumns(
      backend, layout, 'gradientTimesXhat', {dy, x, shiftedMean, invStd});
  temporaries.forEach(t => backend.disposeIntermediateTensorInfo(t));
  return [
    withShape(dx, inputs.x.shape),
    withShape(dGamma, paramShape),
    withShape(dBeta, paramShape),
  ];
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'webgl',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
