/**
 * Fused backward LayerNorm for the `cpu` backend. Per group: one pass for
 * the group's mean, one accumulating the two group sums and dGamma/dBeta,
 * one writing dx. dGamma and dBeta accumulate in float64 across groups.
 *
 * The mean is recomputed in float64 rather than read from the saved float32
 * mean: that one is off by up to |mean| * 2^-24, which on a row of mean 1e4
 * and spread 1 would shift every xhat by ~6e-4.
 */
import * as tf from '@tensorflow/tfjs';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {groupOffsets, LayerNormGeometry, layerNormGeometry} from '../../layer_norm_util';
import {readFloat32, sumRange} from './layer_norm';

/** Inputs of one backward call, as Float32Arrays. */
export interface GradArrays {
  dy: Float32Array;
  x: Float32Array;
  invStd: Float32Array;
  gamma: Float32Array;
  dMean: Float32Array;
  dInvStd: Float32Array;
  /** Outputs. */
  dx: Float32Array;
  dGamma: Float64Array;
  dBeta: Float64Array;
}

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: MathBackendCPU,
  attrs: LayerNormGradAttrs
}): tf.TensorInfo[] {
  const {inputs, backend, attrs: {axis}} = args;
  const geometry = layerNormGeometry(inputs.x.shape, axis);
  const {outerSize, innerSize} = geometry;
  const a: GradArrays = {
    dy: readFloat32(backend, inputs.dy),
    x: readFloat32(backend, inputs.x),
    invStd: readFloat32(backend, inputs.invStd),
    gamma: readFloat32(backend, inputs.gamma),
    dMean: readFloat32(backend, inputs.dMean),
    dInvStd: readFloat32(backend, inputs.dInvStd),
    dx: new Float32Array(outerSize * innerSize),
    dGamma: new Float64Array(innerSize),
    dBeta: new Float64Array(innerSize),
  };
  backwardRows(geometry, a);

  const paramShape = inputs.gamma.shape;
  return [
    backend.makeTensorInfo(inputs.x.shape, 'float32', a.dx),
    backend.makeTensorInfo(paramShape, 'float32', Float32Array.from(a.dGamma)),
    backend.makeTensorInfo(paramShape, 'float32', Float32Array.from(a.dBeta)),
  ];
}

/**
 * The backward over every group, in whatever arrays hold the data (the cpu
 * backend's, or views of the wasm backend's heap).
 */
export function backwardRows(geometry: LayerNormGeometry, a: GradArrays): void {
  const {outerSize, innerSize} = geometry;
  if (geometry.isTrailing) {
    for (let r = 0; r < outerSize; r++) {
      backwardContiguousRow(a, r, innerSize);
    }
  } else {
    const rowStarts = groupOffsets(geometry, false);
    const columnOffsets = groupOffsets(geometry, true);
    for (let r = 0; r < outerSize; r++) {
      backwardStridedRow(a, r, rowStarts[r], columnOffsets);
    }
  }
}

/**
 * The per-group coefficients of dx = invStd * g - xhat * xhatCoef + offset
 * (the formula of kernel_names.ts), from the group sums of g and g * xhat.
 */
function dxCoefficients(
    a: GradArrays, r: number, n: number, sumG: number, sumGXhat: number) {
  const invStd = a.invStd[r];
  return {
    xhatCoef: (invStd * sumGXhat + a.dInvStd[r] * invStd * invStd) / n,
    offset: (a.dMean[r] - invStd * sumG) / n,
  };
}

/** Group r of a trailing-axes layout: the slice [r * n, (r + 1) * n). */
function backwardContiguousRow(a: GradArrays, r: number, n: number) {
  const {x, dy, gamma, dGamma, dBeta, dx} = a;
  const start = r * n;
  const mean = sumRange(x, start, n, 0) / n;
  const invStd = a.invStd[r];
  let sumG = 0, sumGXhat = 0;
  for (let j = 0; j < n; j++) {
    const xhat = (x[start + j] - mean) * invStd;
    const dyj = dy[start + j];
    const g = dyj * gamma[j];
    sumG += g;
    sumGXhat += g * xhat;
    dGamma[j] += dyj * xhat;
    dBeta[j] += dyj;
  }
  const {xhatCoef, offset} = dxCoefficients(a, r, n, sumG, sumGXhat);
  for (let j = 0; j < n; j++) {
    const xhat = (x[start + j] - mean) * invStd;
    dx[start + j] = invStd * dy[start + j] * gamma[j] - xhat * xhatCoef + offset;
  }
}

/** Group r of any other layout: element j at start + columnOffsets[j]. */
function backwardStridedRow(
    a: GradArrays, r: number, start: number, columnOffsets: Int32Array) {
  const {x, dy, gamma, dGamma, dBeta, dx} = a;
  const n = columnOffsets.length;
  let sum = 0;
  for (let j = 0; j < n; j++) {
    sum += x[start + columnOffsets[j]];
  }
  const mean = sum / n;
  const invStd = a.invStd[r];
  let sumG = 0, sumGXhat = 0;
  for (let j = 0; j < n; j++) {
    const i = start + columnOffsets[j];
    const xhat = (x[i] - mean) * invStd;
    const g = dy[i] * gamma[j];
    sumG += g;
    sumGXhat += g * xhat;
    dGamma[j] += dy[i] * xhat;
    dBeta[j] += dy[i];
  }
  const {xhatCoef, offset} = dxCoefficients(a, r, n, sumG, sumGXhat);
  for (let j = 0; j < n; j++) {
    const i = start + columnOffsets[j];
    const xhat = (x[i] - mean) * invStd;
    dx[i] = invStd * dy[i] * gamma[j] - xhat * xhatCoef + offset;
  }
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'cpu',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
