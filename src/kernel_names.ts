/**
 * The kernel contract every backend implements.
 *
 * LayerNormKernel: inputs x (any rank >= 1), gamma and beta (shaped as x's
 *   sizes at featureAxes; the op passes ones/zeros for absent ones, as the
 *   tape clones every saved input); attrs axis, featureAxes (sorted,
 *   distinct, non-negative), epsilon > 0; outputs [y, mean, invStd], the
 *   stats shaped as x with `axis` set to 1.
 * LayerNormGradKernel: inputs dy, x, invStd, gamma, dMean, dInvStd; attrs
 *   axis, featureAxes; outputs [dx, dGamma, dBeta]. Per group of
 *   N = groupLength, with xhat = (x - mean) * invStd, g = dy * gamma and
 *   sumG, sumGXhat the group sums of g and g * xhat:
 *     xhatCoef  = (invStd * sumGXhat + dInvStd * invStd^2) / N
 *     constCoef = (dMean - invStd * sumG) / N
 *     dx        = invStd * g - xhatCoef * xhat + constCoef
 *     dGamma, dBeta = sums of dy * xhat, dy over the elements sharing each entry
 *   The mean is recomputed from x, not saved: a float32 mean is off by up to
 *   |mean| * 2^-24, which on a row of mean 1e4 and spread 1 moves xhat by 6e-4.
 */
import type {NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs';

export const LayerNormKernel = 'TfjsLayerNorm';
export const LayerNormGradKernel = 'TfjsLayerNormGrad';

export interface LayerNormAttrs {
  axis: number[];
  epsilon: number;
  featureAxes: number[];
}

export interface LayerNormInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  gamma: TensorInfo;
  beta: TensorInfo;
}

export interface LayerNormGradAttrs {
  axis: number[];
  featureAxes: number[];
}

export interface LayerNormGradInputs extends NamedTensorInfoMap {
  dy: TensorInfo;
  x: TensorInfo;
  invStd: TensorInfo;
  gamma: TensorInfo;
  dMean: TensorInfo;
  dInvStd: TensorInfo;
}

/**
 * What each backend's kernels handle; for other calls the op runs the
 * composite. A backend's owner updates its entry as its kernels grow.
 */
const KERNEL_SUPPORT: Record<string, {featureAxes: boolean, maxRank: number}> = {
  cpu: {featureAxes: true, maxRank: Infinity},
  wasm: {featureAxes: true, maxRank: Infinity},
  webgl: {featureAxes: true, maxRank: Infinity},
  webgpu: {featureAxes: true, maxRank: Infinity},
  tensorflow: {featureAxes: true, maxRank: 5},  // TensorFlow CPU broadcasts up to rank 5
};

export function kernelsSupport(
    backendName: string, {axis, featureAxes}: {axis: number[], featureAxes: number[]},
    rank: number): boolean {
  const support = KERNEL_SUPPORT[backendName] ?? {featureAxes: false, maxRank: Infinity};
  const sameAxes = axis.length === featureAxes.length && axis.every((a, i) => a === featureAxes[i]);
  return rank <= support.maxRank && (sameAxes || support.featureAxes);
}

/** The per-group coefficients of dx, by the formula above. */
export function dxCoefficients(
    invStd: number, dMean: number, dInvStd: number, sumG: number,
    sumGXhat: number, groupLength: number): {xhatCoef: number, constCoef: number} {
  return {
    xhatCoef: (invStd * sumGXhat + dInvStd * invStd * invStd) / groupLength,
    constCoef: (dMean - invStd * sumG) / groupLength,
  };
}
