/**
 * Fused backward LayerNorm for the `cpu` backend: per group, one pass for the
 * group's mean (recomputed in float64: the saved float32 mean is off by up to
 * |mean| * 2^-24, which on a row of mean 1e4 and spread 1 would shift every
 * xhat by ~6e-4), one pass accumulating the two group sums and dGamma/dBeta,
 * one pass writing dx. dGamma and dBeta accumulate in float64 across groups.
 */
import * as tf from '@tensorflow/tfjs';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {groupOffsets, layerNormGeometry} from '../../layer_norm_util';
import {readValues} from './layer_norm';

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: MathBackendCPU,
  attrs: LayerNormGradAttrs
}): tf.TensorInfo[] {
  const {inputs, backend, attrs: {axis}} = args;
  const dyValues = readValues(backend, inputs.dy);
  const xValues = readValues(backend, inputs.x);
  const invStdValues = readValues(backend, inputs.invStd);
  const gammaValues = readValues(backend, inputs.gamma);
  const dMeanValues = readValues(backend, inputs.dMean);
  const dInvStdValues = readValues(backend, inputs.dInvStd);
  const geometry = layerNormGeometry(inputs.x.shape, axis);
  const {outerSize, innerSize} = geometry;

  const dx = new Float32Array(outerSize * innerSize);
  const dGamma = new Float64Array(innerSize);
  const dBeta = new Float64Array(innerSize);
  const rowStarts = geometry.isTrailing ? null : groupOffsets(geometry, false);
  const columnOffsets =
      geometry.isTrailing ? null : groupOffsets(geometry, true);

  for (let r = 0; r < outerSize; r++) {
    const start = rowStarts == null ? r * innerSize : rowStarts[r];
    let sum = 0;
    for (let j = 0; j < innerSize; j++) {
      sum += xValues[columnOffsets == null ? start + j :
                                             start + columnOffsets[j]];
    }
    const rowMean = sum / innerSize;
    const rowInvStd = invStdValues[r];
    let sumG = 0, sumGXhat = 0;
    for (let j = 0; j < innerSize; j++) {
      const i = columnOffsets == null ? start + j : start + columnOffsets[j];
      const xhat = (xValues[i] - rowMean) * rowInvStd;
      const dy = dyValues[i];
      const g = dy * gammaValues[j];
      sumG += g;
      sumGXhat += g * xhat;
      dGamma[j] += dy * xhat;
      dBeta[j] += dy;
    }
    // dx = invStd * g - xhat * xhatCoef + offset (see kernel_names.ts).
    const xhatCoef = rowInvStd * sumGXhat / innerSize +
        dInvStdValues[r] * rowInvStd * rowInvStd / innerSize;
    const offset = dMeanValues[r] / innerSize - rowInvStd * sumG / innerSize;
    for (let j = 0; j < innerSize; j++) {
      const i = columnOffsets == null ? start + j : start + columnOffsets[j];
      const xhat = (xValues[i] - rowMean) * rowInvStd;
      dx[i] = rowInvStd * dyValues[i] * gammaValues[j] - xhat * xhatCoef +
          offset;
    }
  }

  const paramShape = inputs.gamma.shape;
  return [
    backend.makeTensorInfo(inputs.x.shape, 'float32', dx),
    backend.makeTensorInfo(paramShape, 'float32', Float32Array.from(dGamma)),
    backend.makeTensorInfo(paramShape, 'float32', Float32Array.from(dBeta)),
  ];
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'cpu',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
