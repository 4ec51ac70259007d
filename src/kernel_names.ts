/**
 * Names, inputs and attributes of the kernels behind `layerNorm`.
 *
 * The contract every backend implements:
 *
 * Forward kernel `LayerNormKernel`
 *   inputs  x      float32, any rank >= 1
 *           gamma  float32, shape = sizes of x at `axis` (ascending order)
 *           beta   float32, same shape as gamma
 *   attrs   axis    sorted, distinct, non-negative axes (the op normalizes them)
 *           epsilon > 0, added to the biased variance
 *   outputs [y, mean, invStd]; y has the shape of x; mean and invStd have the
 *           shape of x with the normalized axes set to 1, and hold the
 *           per-group mean and 1 / sqrt(var + epsilon).
 *
 * The op always passes gamma and beta (ones / zeros when the caller gave
 * none): TF.js clones every `inputsToSave` entry onto the tape, and an absent
 * gamma would crash there (the built-in batchNorm has that bug). A constant
 * gamma costs one multiply per element and keeps each backend to one code path.
 *
 * Backward kernel `LayerNormGradKernel`
 *   inputs  dy, x, mean, invStd, gamma, dMean, dInvStd (dMean and dInvStd are
 *           the gradients flowing into the stats outputs; zeros when unused)
 *   attrs   axis (as above)
 *   outputs [dx, dGamma, dBeta]
 *
 *   With xhat = (x - mean) * invStd, g = dy * gamma, N = group size, and
 *   <.> the mean over the group:
 *     dx     = invStd * (g - <g>) - xhat * (invStd * <g * xhat> + dInvStd * invStd^2 / N)
 *              + dMean / N
 *     dGamma = sum over groups of dy * xhat
 *     dBeta  = sum over groups of dy
 */
import type {NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs';

/** Kernel name of the forward op, namespaced so it never meets a TF.js one. */
export const LayerNormKernel = 'TfjsLayerNorm';
/** Kernel name of the fused backward. */
export const LayerNormGradKernel = 'TfjsLayerNormGrad';

export interface LayerNormAttrs {
  /** Sorted, distinct, non-negative axes. */
  axis: number[];
  epsilon: number;
}

export interface LayerNormInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  gamma: TensorInfo;
  beta: TensorInfo;
}

export interface LayerNormGradAttrs {
  axis: number[];
}

export interface LayerNormGradInputs extends NamedTensorInfoMap {
  dy: TensorInfo;
  x: TensorInfo;
  mean: TensorInfo;
  invStd: TensorInfo;
  gamma: TensorInfo;
  dMean: TensorInfo;
  dInvStd: TensorInfo;
}
