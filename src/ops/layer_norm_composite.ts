/**
 * LayerNorm as a composite of TF.js ops, for backends without a kernel of
 * ours (tfjs-node's `tensorflow`, or any other), and its fused backward.
 *
 * Numerics, in float32 ops: each group is shifted by its own first element
 * before it is reduced, so a row of mean 1e4 and spread 1 is reduced as
 * values of size ~1 (subtracting a float32 mean of the raw x would shift
 * every xhat of such a row by up to 1e4 * 2^-24 / spread ~ 6e-4). Then two
 * passes: the variance is the mean of squared deviations, never
 * E[x^2] - E[x]^2. A constant group has exact zero deviations: y = beta.
 *
 * Gradients: y, mean and invStd are three `tf.customGrad` nodes sharing one
 * forward computation, whose gradients with respect to x
 *   y:      invStd * (g - <g>) - xhat * invStd * <g * xhat>   (and dGamma, dBeta)
 *   mean:   dMean / N
 *   invStd: -xhat * dInvStd * invStd^2 / N
 * add up to the formula of kernel_names.ts. Autograd never walks the forward
 * ops, and a loss that uses only y never runs the two stats nodes.
 */
import * as tf from '@tensorflow/tfjs';

import {LayerNormAttrs} from '../kernel_names';
import {paramShape, statsShape} from '../layer_norm_util';

/**
 * TF.js flag that makes `layerNorm` run this composite even where the active
 * backend has a kernel of ours (tests, and comparing the two):
 * `tf.env().set('LAYERNORM_FORCE_COMPOSITE', true)`, or the URL parameter
 * `?tfjsflags=LAYERNORM_FORCE_COMPOSITE:true` in a browser. A flag rather
 * than module state so that every copy of this package loaded in one
 * program (CommonJS and ESM) sees the same setting.
 */
export const FORCE_COMPOSITE_FLAG = 'LAYERNORM_FORCE_COMPOSITE';
tf.env().registerFlag(FORCE_COMPOSITE_FLAG, () => false);

/** The forward's results. */
interface ForwardParts {
  y: tf.Tensor;
  mean: tf.Tensor;
  invStd: tf.Tensor;
  xhat: tf.Tensor;
}

/** Returns [y, mean, invStd] as the forward kernel would. */
export function layerNormComposite(
    x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor,
    attrs: LayerNormAttrs): tf.Tensor[] {
  const {axis, epsilon} = attrs;
  const groupSize = groupSizeOf(x.shape, axis);
  return tf.tidy(() => {
    // What the stats nodes share of `normalize`'s forward: kept past its
    // scope (which disposes everything it does not return), disposed below
    // on every path.
    const kept: {mean?: tf.Tensor, invStd?: tf.Tensor, xhat?: tf.Tensor} = {};
    const normalize = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
      const [xIn, gammaIn, betaIn] = args as tf.Tensor[];
      const save = args[3] as tf.GradSaveFunc;
      const {y, mean, invStd, xhat} =
          forwardParts(xIn, gammaIn, betaIn, axis, epsilon);
      kept.mean = tf.keep(mean);
      kept.invStd = tf.keep(invStd);
      kept.xhat = tf.keep(xhat);
      save([xhat, invStd, gammaIn]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [savedXhat, savedInvStd, savedGamma] = saved;
          return gradOfY(dy, savedXhat, savedInvStd, savedGamma, axis);
        },
      };
    });
    try {
      const y = normalize(x, gamma, beta);
      const {mean, invStd, xhat} = kept as Required<typeof kept>;
      const meanOf = tf.customGrad((..._args: Array<tf.Tensor|tf.GradSaveFunc>) => ({
        value: tf.clone(mean),
        gradFunc: (dMean: tf.Tensor) =>
            tf.tidy(() => tf.broadcastTo(tf.div(dMean, groupSize), x.shape)),
      }));
      const invStdOf = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
        const save = args[1] as tf.GradSaveFunc;
        save([xhat, invStd]);
        return {
          value: tf.clone(invStd),
          gradFunc: (dInvStd: tf.Tensor, saved: tf.Tensor[]) =>
              tf.tidy(() => dxFromInvStd(dInvStd, saved[0], saved[1], groupSize)),
        };
      });
      return [y, meanOf(x), invStdOf(x)];
    } finally {
      tf.dispose([kept.mean, kept.invStd, kept.xhat].filter(
          (t): t is tf.Tensor => t != null));
    }
  });
}

/** The forward in float32 ops, each group shifted by its first element. */
function forwardParts(
    x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, axis: number[],
    epsilon: number): ForwardParts {
  const {shift, shiftedMean, centered} = shiftAndCenter(x, axis);
  const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), axis, true), epsilon));
  const xhat = tf.mul(centered, invStd);
  const paramShape = broadcastParamShape(x.shape, axis);
  const y = tf.add(
      tf.mul(xhat, tf.reshape(gamma, paramShape)), tf.reshape(beta, paramShape));
  return {y, mean: tf.add(shift, shiftedMean), invStd, xhat};
}

/**
 * x - mean, computed as (x - s) - mean(x - s) with s each group's first
 * element. A non-finite s (a NaN or an Infinity first in its group) is
 * replaced by 0, so that the group's mean comes out as the plain mean would
 * (Infinity for a group holding one) rather than Infinity - Infinity = NaN.
 */
function shiftAndCenter(x: tf.Tensor, axis: number[]):
    {shift: tf.Tensor, shiftedMean: tf.Tensor, centered: tf.Tensor} {
  const statShape = statsShape(x.shape, axis);
  // An empty group has no first element (its mean is 0 / 0 = NaN anyway).
  const first = x.size === 0 ? tf.zeros(statShape) :
                               tf.slice(x, x.shape.map(() => 0), statShape);
  const shift = tf.where(tf.isFinite(first), first, tf.zerosLike(first));
  const shifted = tf.sub(x, shift);
  const shiftedMean = tf.mean(shifted, axis, true);
  return {shift, shiftedMean, centered: tf.sub(shifted, shiftedMean)};
}

/**
 * dx, dGamma and dBeta of the y output alone: the formula of kernel_names.ts
 * without its dMean and dInvStd terms.
 */
function gradOfY(
    dy: tf.Tensor, xhat: tf.Tensor, invStd: tf.Tensor, gamma: tf.Tensor,
    axis: number[]): tf.Tensor[] {
  return tf.tidy(() => {
    const outerAxes = dy.shape.map((_, i) => i).filter(i => !axis.includes(i));
    const g = tf.mul(dy, tf.reshape(gamma, broadcastParamShape(dy.shape, axis)));
    const meanG = tf.mean(g, axis, true);
    const meanGXhat = tf.mean(tf.mul(g, xhat), axis, true);
    const dx = tf.mul(invStd, tf.sub(tf.sub(g, meanG), tf.mul(xhat, meanGXhat)));
    const dGamma = tf.reshape(tf.sum(tf.mul(dy, xhat), outerAxes), gamma.shape);
    const dBeta = tf.reshape(tf.sum(dy, outerAxes), gamma.shape);
    return [dx, dGamma, dBeta];
  });
}

/** The part of dx that flows in through invStd: -xhat * dInvStd * invStd^2 / N. */
function dxFromInvStd(
    dInvStd: tf.Tensor, xhat: tf.Tensor, invStd: tf.Tensor,
    groupSize: number): tf.Tensor {
  return tf.mul(xhat, tf.mul(dInvStd, tf.div(tf.square(invStd), -groupSize)));
}

/**
 * The backward in TF.js ops: [dx, dGamma, dBeta] by the formula of
 * `kernel_names.ts`. Used by the gradient on a backend that has a forward
 * kernel of ours but no backward one. xhat comes from x again, shifted as in
 * the forward: the saved float32 mean is off by up to |mean| * 2^-24.
 */
export function layerNormGradComposite(
    dy: tf.Tensor, x: tf.Tensor, invStd: tf.Tensor, gamma: tf.Tensor,
    dMean: tf.Tensor, dInvStd: tf.Tensor, axis: number[]): tf.Tensor[] {
  return tf.tidy(() => {
    const groupSize = groupSizeOf(x.shape, axis);
    const xhat = tf.mul(shiftAndCenter(x, axis).centered, invStd);
    const [dxOfY, dGamma, dBeta] = gradOfY(dy, xhat, invStd, gamma, axis);
    const dx = tf.add(
        tf.add(dxOfY, tf.div(dMean, groupSize)),
        dxFromInvStd(dInvStd, xhat, invStd, groupSize));
    return [dx, dGamma, dBeta];
  });
}

/** x's shape with the kept axes set to 1: gamma and beta reshaped to it broadcast. */
function broadcastParamShape(xShape: readonly number[], axis: number[]): number[] {
  return xShape.map((d, i) => axis.includes(i) ? d : 1);
}

function groupSizeOf(xShape: readonly number[], axis: number[]): number {
  return tf.util.sizeFromShape(paramShape(xShape, axis));
}
