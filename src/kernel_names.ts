/**
 * Names, inputs and attributes of the kernels behind `layerNorm`: the
 * contract every backend implements.
 *
 * Forward kernel `LayerNormKernel`
 *   inputs  x      float32, any rank >= 1
 *           gamma  float32, shape = sizes of x at `featureAxes` (ascending order)
 *           beta   float32, same shape as gamma
 *   attrs   axis        sorted, distinct, non-negative axes of the statistics
 *           featureAxes sorted, distinct, non-negative axes gamma/beta span
 *           epsilon     > 0, added to the biased variance
 *   outputs [y, mean, invStd]; y has the shape of x; mean and invStd have the
 *           shape of x with `axis` set to 1 and hold each group's mean and
 *           1 / sqrt(var + epsilon).
 *
 * The op always passes gamma and beta (ones / zeros when the caller gave
 * none): TF.js clones every `inputsToSave` entry onto the tape, and an absent
 * gamma would crash there.
 *
 * Backward kernel `LayerNormGradKernel`
 *   inputs  dy, x, invStd, gamma, dMean, dInvStd (dMean and dInvStd are the
 *           gradients flowing into the stats outputs; zeros when unused)
 *   attrs   axis, featureAxes (as above)
 *   outputs [dx, dGamma, dBeta]
 *
 *   The formula, per group of N = groupLength elements, with
 *   xhat = (x - mean) * invStd (mean recomputed from x in float64: the saved
 *   float32 one is off by up to |mean| * 2^-24), g = dy * gamma and
 *   sumG, sumGXhat the group sums of g and g * xhat:
 *     xhatCoef  = (invStd * sumGXhat + dInvStd * invStd^2) / N
 *     constCoef = (dMean - invStd * sumG) / N
 *     dx        = invStd * g - xhatCoef * xhat + constCoef
 *     dGamma    = sum of dy * xhat over all elements sharing a gamma entry
 *     dBeta     = sum of dy over the same elements
 */
import type {NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs';

/** Kernel name of the forward op, namespaced so it never meets a TF.js one. */
export const LayerNormKernel = 'TfjsLayerNorm';
/** Kernel name of the fused backward. */
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
 * Backends whose kernels honour `featureAxes` != `axis`; on others the op
 * runs the composite for such calls. A backend's owner adds its name here
 * once its kernels read the attribute.
 */
const FEATURE_AXES_BACKENDS: readonly string[] = ['cpu', 'wasm'];

export function kernelsSupportFeatureAxes(backendName: string): boolean {
  return FEATURE_AXES_BACKENDS.includes(backendName);
}

/** The per-group coefficients of dx (the formula above). */
export function dxCoefficients(
    invStd: number, dMean: number, dInvStd: number, sumG: number,
    sumGXhat: number, groupLength: number): {xhatCoef: number, constCoef: number} {
  return {
    xhatCoef: (invStd * sumGXhat + dInvStd * invStd * invStd) / groupLength,
    constCoef: (dMean - invStd * sumG) / groupLength,
  };
}
