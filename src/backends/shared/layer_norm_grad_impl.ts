/**
 * The backward loops shared by the cpu and wasm kernels, by the formula of
 * kernel_names.ts. dGamma and dBeta accumulate in float64 across groups.
 */
import {dxCoefficients} from '../../kernel_names';
import {columnOffsets, GroupLayout, groupOffsets} from '../../layout';
import {contiguousMean} from './layer_norm_impl';

/** Inputs and outputs of one backward call. */
export interface GradArrays {
  dy: Float32Array;
  x: Float32Array;
  invStd: Float32Array;
  gamma: Float32Array;
  dMean: Float32Array;
  dInvStd: Float32Array;
  dx: Float32Array;
  /** paramSize elements, zeroed. */
  dGamma: Float64Array;
  dBeta: Float64Array;
}

export function backwardGroups(layout: GroupLayout, a: GradArrays): void {
  if (layout.contiguous && layout.paramsPerColumn) {
    for (let group = 0; group < layout.groupCount; group++) {
      backwardContiguousGroup(a, group, layout.groupLength);
    }
    return;
  }
  const groups = groupOffsets(layout);
  const columns = columnOffsets(layout);
  for (let group = 0; group < layout.groupCount; group++) {
    backwardStridedGroup(a, group, groups.x[group], groups.param[group], columns.x, columns.param);
  }
}

function backwardContiguousGroup(a: GradArrays, group: number, n: number) {
  const {x, dy, gamma, dGamma, dBeta, dx} = a;
  const start = group * n;
  const mean = contiguousMean(x, start, n);
  const invStd = a.invStd[group];
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
  const {xhatCoef, constCoef} =
      dxCoefficients(invStd, a.dMean[group], a.dInvStd[group], sumG, sumGXhat, n);
  for (let j = 0; j < n; j++) {
    const xhat = (x[start + j] - mean) * invStd;
    dx[start + j] = invStd * dy[start + j] * gamma[j] - xhatCoef * xhat + constCoef;
  }
}

function backwardStridedGroup(
    a: GradArrays, group: number, start: number, paramStart: number,
    cx: Int32Array, cp: Int32Array) {
  const {x, dy, gamma, dGamma, dBeta, dx} = a;
  const n = cx.length;
  let sum = 0;
  for (let j = 0; j < n; j++) {
    sum += x[start + cx[j]];
  }
  const mean = sum / n;
  const invStd = a.invStd[group];
  let sumG = 0, sumGXhat = 0;
  for (let j = 0; j < n; j++) {
    const k = start + cx[j], p = paramStart + cp[j];
    const xhat = (x[k] - mean) * invStd;
    const g = dy[k] * gamma[p];
    sumG += g;
    sumGXhat += g * xhat;
    dGamma[p] += dy[k] * xhat;
    dBeta[p] += dy[k];
  }
  const {xhatCoef, constCoef} =
      dxCoefficients(invStd, a.dMean[group], a.dInvStd[group], sumG, sumGXhat, n);
  for (let j = 0; j < n; j++) {
    const k = start + cx[j];
    const xhat = (x[k] - mean) * invStd;
    dx[k] = invStd * dy[k] * gamma[paramStart + cp[j]] - xhatCoef * xhat + constCoef;
  }
}
