/**
 * Fused backward LayerNorm for the `webgl` backend:
 *   row reductions   shifted mean m (recomputed from x, see below), <g> and
 *                    <g * xhat> per row (g = dy * gamma)
 *   dx               one elementwise program (InputGradProgram)
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
import {InputGradProgram} from './input_grad_gpu';
import {reduceColumns, reduceRows} from './reductions';
import {flatUnpacked, withShape} from './texture_views';

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: MathBackendWebGL,
  attrs: LayerNormGradAttrs
}): TensorInfo[] {
  const {inputs, backend, attrs: {axis}} = args;
  const geometry = layerNormGeometry(inputs.x.shape, axis);
  const paramShape = inputs.gamma.shape;
  if (geometry.outerSize * geometry.innerSize === 0) {
    // No elements: dx is empty, and sums over no rows are zero.
    return [
      backend.makeTensorInfo(inputs.x.shape, 'float32', new Float32Array(0)),
      backend.makeTensorInfo(paramShape, 'float32', new Float32Array(geometry.innerSize)),
      backend.makeTensorInfo(paramShape, 'float32', new Float32Array(geometry.innerSize)),
    ];
  }

  const temporaries: TensorInfo[] = [];
  const flat = (t: TensorInfo) => flatUnpacked(backend, t, temporaries);
  const dy = flat(inputs.dy);
  const x = flat(inputs.x);
  const gamma = flat(inputs.gamma);
  const invStd = flat(inputs.invStd);

  const shiftedMean = reduceRows(backend, geometry, 'shiftedValue', {x}, 'mean');
  temporaries.push(shiftedMean);
  const meanG = reduceRows(backend, geometry, 'scaledGradient', {dy, gamma}, 'mean');
  temporaries.push(meanG);
  const meanGXhat = reduceRows(
      backend, geometry, 'scaledGradientTimesXhat',
      {dy, gamma, x, shiftedMean, invStd}, 'mean');
  temporaries.push(meanGXhat);

  const dx = backend.runWebGLProgram(
      new InputGradProgram(geometry),
      [
        dy, gamma, x, shiftedMean, invStd, meanG, meanGXhat, flat(inputs.dMean),
        flat(inputs.dInvStd)
      ],
      'float32');
  const dBeta = reduceColumns(backend, geometry, 'gradient', {dy});
  const dGamma = reduceColumns(
      backend, geometry, 'gradientTimesXhat', {dy, x, shiftedMean, invStd});
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
