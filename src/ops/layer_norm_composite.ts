/**
 * LayerNorm as a composite of TF.js ops, for backends without a kernel of
 * ours (tfjs-node's `tensorflow`, or any other). Two-pass statistics: the
 * variance is the mean of squared deviations, never E[x^2] - E[x]^2.
 */
import * as tf from '@tensorflow/tfjs';

import {LayerNormAttrs} from '../kernel_names';

/** Returns [y, mean, invStd] as the forward kernel would. */
export function layerNormComposite(
    x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor,
    attrs: LayerNormAttrs): tf.Tensor[] {
  return tf.tidy(() => {
    const {axis, epsilon} = attrs;
    // gamma and beta are laid out in ascending axis order, so reshaping them
    // to the stats shape with the group sizes put back broadcasts them.
    const broadcastShape = x.shape.map((d, i) => axis.includes(i) ? d : 1);
    const mean = tf.mean(x, axis, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), axis, true);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const y = tf.add(
        tf.mul(tf.mul(centered, invStd), tf.reshape(gamma, broadcastShape)),
        tf.reshape(beta, broadcastShape));
    return [y, mean, invStd];
  });
}

/**
 * The backward of the composite, in TF.js ops: [dx, dGamma, dBeta] by the
 * formula of `kernel_names.ts`. Used by the gradient on a backend that has a
 * forward kernel of ours but no backward one.
 */
export function layerNormGradComposite(
    dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, invStd: tf.Tensor,
    gamma: tf.Tensor, dMean: tf.Tensor, dInvStd: tf.Tensor,
    axis: number[]): tf.Tensor[] {
  return tf.tidy(() => {
    const broadcastShape = x.shape.map((d, i) => axis.includes(i) ? d : 1);
    const outerAxes = x.shape.map((_, i) => i).filter(i => !axis.includes(i));
    const groupSize = axis.reduce((n, a) => n * x.shape[a], 1);
    const xhat = tf.mul(tf.sub(x, mean), invStd);
    const g = tf.mul(dy, tf.reshape(gamma, broadcastShape));
    const meanG = tf.mean(g, axis, true);
    const meanGXhat = tf.mean(tf.mul(g, xhat), axis, true);
    const xhatCoef = tf.add(
        tf.mul(invStd, meanGXhat),
        tf.div(tf.mul(dInvStd, tf.square(invStd)), groupSize));
    const dx = tf.add(
        tf.sub(tf.mul(invStd, tf.sub(g, meanG)), tf.mul(xhat, xhatCoef)),
        tf.div(dMean, groupSize));
    const dGamma = tf.reshape(tf.sum(tf.mul(dy, xhat), outerAxes), gamma.shape);
    const dBeta = tf.reshape(tf.sum(dy, outerAxes), gamma.shape);
    return [dx, dGamma, dBeta];
  });
}
