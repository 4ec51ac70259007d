/**
 * LayerNorm in TF.js ops, for backends without a kernel of ours, and its
 * backward. Everything runs on x folded to [groupCount, groupLength] (TF.js's
 * wasm binary ops stop at rank 6, webgpu's `where` at rank 4). Each group is
 * shifted by its first element and halved (no overflow near float32's max),
 * then divided by its largest magnitude before squaring. y, mean and invStd
 * are three `tf.customGrad` nodes whose gradients add up to the formula of
 * kernel_names.ts; a loss on y alone never runs the stats nodes.
 */
import * as tf from '@tensorflow/tfjs';

import {LayerNormAttrs} from '../kernel_names';
import {statsShape} from '../layer_norm_util';
import {columnOffsets, GroupLayout, groupLayout, groupOffsets} from '../layout';

/** Forces this composite (tests, comparisons); a flag so every copy of the package sees it. */
export const FORCE_COMPOSITE_FLAG = 'LAYERNORM_FORCE_COMPOSITE';
tf.env().registerFlag(FORCE_COMPOSITE_FLAG, () => false);

/** Moves tensors between x's layout and the [groupCount, groupLength] fold. */
class GroupFold {
  readonly layout: GroupLayout;
  private readonly elementIndex: Int32Array|null = null;
  private readonly paramIndex: Int32Array|null = null;
  private readonly paramsByColumn: boolean;

  constructor(readonly xShape: number[], axis: number[], readonly paramShape: number[],
              featureAxes: number[]) {
    this.layout = groupLayout(xShape, axis, featureAxes);
    const {groupCount, groupLength, contiguous, paramsPerColumn} = this.layout;
    const groups = groupOffsets(this.layout), columns = columnOffsets(this.layout);
    this.paramsByColumn = groups.param.every(p => p === 0);
    if (!contiguous) {
      this.elementIndex = table(groups.x, columns.x);
    }
    if (!paramsPerColumn) {
      this.paramIndex = this.paramsByColumn ?
          columns.param : table(groups.param, columns.param);
    }
    this.shape2d = [groupCount, groupLength];
  }

  readonly shape2d: [number, number];

  /** x-shaped -> [groupCount, groupLength]. */
  toGroups(t: tf.Tensor): tf.Tensor2D {
    if (this.elementIndex == null) {
      return tf.reshape(t, this.shape2d);
    }
    return tf.reshape(tf.gather(tf.reshape(t, [-1]), tf.tensor1d(this.elementIndex, 'int32')),
                      this.shape2d);
  }

  /** [groupCount, groupLength] -> x's elements in x's order, shaped `shape`. */
  fromGroups(t: tf.Tensor, shape: number[] = this.xShape): tf.Tensor {
    if (this.elementIndex == null) {
      return tf.reshape(t, shape);
    }
    const inverse = new Int32Array(this.elementIndex.length);
    this.elementIndex.forEach((offset, i) => inverse[offset] = i);
    return tf.reshape(tf.gather(tf.reshape(t, [-1]), tf.tensor1d(inverse, 'int32')), shape);
  }

  /** gamma-shaped -> broadcastable against [groupCount, groupLength]. */
  paramsToGroups(p: tf.Tensor): tf.Tensor {
    const {groupLength} = this.layout;
    if (this.paramIndex == null) {
      return tf.reshape(p, [1, groupLength]);
    }
    const picked = tf.gather(tf.reshape(p, [-1]), tf.tensor1d(this.paramIndex, 'int32'));
    return tf.reshape(picked, this.paramsByColumn ? [1, groupLength] : this.shape2d);
  }

  /** Sum of [groupCount, groupLength] values over the elements sharing each gamma entry. */
  sumToParams(t: tf.Tensor): tf.Tensor {
    if (t.size === 0) {
      // No terms: TF.js wasm's sum over an empty axis reads uninitialized memory.
      return tf.zeros(this.paramShape);
    }
    if (this.paramIndex == null) {
      return tf.reshape(tf.sum(t, 0), this.paramShape);
    }
    const values = this.paramsByColumn ? tf.sum(t, 0) : tf.reshape(t, [-1]);
    const indices = tf.tensor2d(this.paramIndex, [this.paramIndex.length, 1], 'int32');
    return tf.reshape(tf.scatterND(indices, values, [this.layout.paramSize]), this.paramShape);
  }
}

/** index[g * columns.length + c] = groups[g] + columns[c]. */
function table(groups: Int32Array, columns: Int32Array): Int32Array {
  const out = new Int32Array(groups.length * columns.length);
  for (let g = 0, k = 0; g < groups.length; g++) {
    for (let c = 0; c < columns.length; c++, k++) {
      out[k] = groups[g] + columns[c];
    }
  }
  return out;
}

/** x - mean = 2 * scale * centered. */
interface Centered {
  shift: tf.Tensor;
  scale: tf.Tensor;
  scaledMean: tf.Tensor;
  centered: tf.Tensor;
}

function center(x2: tf.Tensor2D, epsilon: number): Centered {
  const [groupCount, groupLength] = x2.shape;
  const first = groupLength === 0 ? tf.zeros([groupCount, 1]) :
                                    tf.slice(x2, [0, 0], [groupCount, 1]);
  const shift = tf.where(tf.isFinite(first), first, tf.zerosLike(first));
  const halved = tf.sub(tf.mul(x2, 0.5), tf.mul(shift, 0.5));
  const largest = groupLength === 0 ? tf.ones([groupCount, 1]) :
                                      tf.max(tf.abs(halved), 1, true);
  // >= sqrt(epsilon) / 2 keeps epsilon / (4 scale^2) <= 1; 1 where that is 0 (a constant
  // group with epsilon 0) or not finite (lets a NaN or Infinity through).
  const atLeast = tf.maximum(largest, Math.sqrt(epsilon) / 2);
  const one = tf.ones([groupCount, 1]);
  const scale = tf.where(tf.isFinite(atLeast),
                         tf.where(tf.isFinite(tf.div(1, atLeast)), atLeast, one), one);
  const scaled = tf.div(halved, scale);
  const scaledMean = tf.mean(scaled, 1, true);
  return {shift, scale, scaledMean, centered: tf.sub(scaled, scaledMean)};
}

interface Forward {
  y2: tf.Tensor;
  mean2: tf.Tensor;
  invStd2: tf.Tensor;
  xhat2: tf.Tensor;
}

function forward(fold: GroupFold, x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor,
                 epsilon: number): Forward {
  const {shift, scale, scaledMean, centered} = center(fold.toGroups(x), epsilon);
  // var + epsilon = 4 scale^2 (scaledVar + (sqrt(epsilon) / (2 scale))^2); squaring the
  // quotient, not scale, keeps a tiny scale from underflowing.
  const root = tf.rsqrt(tf.add(tf.mean(tf.square(centered), 1, true),
                               tf.square(tf.div(Math.sqrt(epsilon) / 2, scale))));
  const xhat2 = tf.mul(centered, root);
  const y2 = tf.add(tf.mul(xhat2, fold.paramsToGroups(gamma)), fold.paramsToGroups(beta));
  if (fold.layout.groupLength === 0) {
    // Empty groups: mean and variance are 0/0 (the kernels' result; TF.js's mean of nothing is 0).
    const undefinedStat = tf.fill(scale.shape, NaN);
    return {y2, mean2: undefinedStat, invStd2: undefinedStat, xhat2};
  }
  const half = tf.mul(scale, scaledMean);
  const mean2 = tf.add(tf.add(shift, half), half);
  const invStd2 = tf.div(tf.mul(root, 0.5), scale);
  return {y2, mean2, invStd2, xhat2};
}

/** dx (folded), dGamma, dBeta of the y output alone. */
function gradOfY(fold: GroupFold, dy: tf.Tensor, xhat2: tf.Tensor, invStd2: tf.Tensor,
                 gamma: tf.Tensor): tf.Tensor[] {
  const dy2 = fold.toGroups(dy);
  const g = tf.mul(dy2, fold.paramsToGroups(gamma));
  const meanG = tf.mean(g, 1, true);
  const meanGXhat = tf.mean(tf.mul(g, xhat2), 1, true);
  const dx2 = tf.mul(invStd2, tf.sub(tf.sub(g, meanG), tf.mul(xhat2, meanGXhat)));
  return [dx2, fold.sumToParams(tf.mul(dy2, xhat2)), fold.sumToParams(dy2)];
}

/** The folded dx of the stats outputs: dMean / N - xhat * dInvStd * invStd^2 / N. */
function gradOfStats(fold: GroupFold, dMean: tf.Tensor|null, dInvStd: tf.Tensor|null,
                     xhat2: tf.Tensor, invStd2: tf.Tensor): tf.Tensor {
  const n = fold.layout.groupLength;
  const [groupCount] = fold.shape2d;
  let dx2: tf.Tensor = tf.zeros(fold.shape2d);
  if (dMean != null) {
    dx2 = tf.add(dx2, tf.div(tf.reshape(dMean, [groupCount, 1]), n));
  }
  if (dInvStd != null) {
    const coef = tf.mul(tf.reshape(dInvStd, [groupCount, 1]), tf.div(tf.square(invStd2), -n));
    dx2 = tf.add(dx2, tf.mul(xhat2, coef));
  }
  return dx2;
}

/** Returns [y, mean, invStd] as the forward kernel would. */
export function layerNormComposite(
    x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, attrs: LayerNormAttrs): tf.Tensor[] {
  const {axis, epsilon, featureAxes} = attrs;
  const fold = new GroupFold(x.shape, axis, gamma.shape, featureAxes);
  const statShape = statsShape(x.shape, axis);
  const flat = [x.size];
  return tf.tidy(() => {
    // Flat, so the engine sums the three nodes' gradients at rank 1.
    const xFlat = tf.reshape(x, flat);
    const kept: {invStd2?: tf.Tensor, xhat2?: tf.Tensor, mean2?: tf.Tensor} = {};
    const normalize = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
      const [xIn, gammaIn, betaIn] = args as tf.Tensor[];
      const save = args[3] as tf.GradSaveFunc;
      const {y2, mean2, invStd2, xhat2} = forward(fold, xIn, gammaIn, betaIn, epsilon);
      kept.mean2 = tf.keep(mean2);
      kept.invStd2 = tf.keep(invStd2);
      kept.xhat2 = tf.keep(xhat2);
      save([xhat2, invStd2, gammaIn]);
      return {
        value: fold.fromGroups(y2),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
          const [dx2, dGamma, dBeta] = gradOfY(fold, dy, saved[0], saved[1], saved[2]);
          return [fold.fromGroups(dx2, flat), dGamma, dBeta];
        }),
      };
    });
    try {
      const y = normalize(xFlat, gamma, beta);
      const {mean2, invStd2, xhat2} = kept as Required<typeof kept>;
      // The stats nodes take gamma and beta too (zero gradients), so a loss on
      // the stats alone still differentiates with respect to them, as the kernels do.
      const noParamGrads = () => [tf.zeros(gamma.shape), tf.zeros(beta.shape)];
      const meanOf = tf.customGrad((..._args: Array<tf.Tensor|tf.GradSaveFunc>) => ({
        value: tf.reshape(mean2, statShape),
        gradFunc: (dMean: tf.Tensor) => tf.tidy(() => [
          fold.fromGroups(gradOfStats(fold, dMean, null, xhat2, invStd2), flat), ...noParamGrads()]),
      }));
      const invStdOf = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
        (args[3] as tf.GradSaveFunc)([xhat2, invStd2]);
        return {
          value: tf.reshape(invStd2, statShape),
          gradFunc: (dInvStd: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => [
            fold.fromGroups(gradOfStats(fold, null, dInvStd, saved[0], saved[1]), flat),
            ...noParamGrads()]),
        };
      });
      return [y, meanOf(xFlat, gamma, beta), invStdOf(xFlat, gamma, beta)];
    } finally {
      tf.dispose([kept.mean2, kept.invStd2, kept.xhat2].filter((t): t is tf.Tensor => t != null));
    }
  });
}

/** [dx, dGamma, dBeta] for a backend with our forward kernel but no backward one. */
export function layerNormGradComposite(
    dy: tf.Tensor, x: tf.Tensor, invStd: tf.Tensor, gamma: tf.Tensor, dMean: tf.Tensor,
    dInvStd: tf.Tensor, axis: number[], featureAxes: number[]): tf.Tensor[] {
  return tf.tidy(() => {
    const fold = new GroupFold(x.shape, axis, gamma.shape, featureAxes);
    const invStd2 = tf.reshape(invStd, [fold.shape2d[0], 1]);
    const {scale, centered} = center(fold.toGroups(x), 1e-30);
    const xhat2 = tf.mul(centered, tf.mul(tf.mul(scale, invStd2), 2));
    const [dxOfY, dGamma, dBeta] = gradOfY(fold, dy, xhat2, invStd2, gamma);
    const dx2 = tf.add(dxOfY, gradOfStats(fold, dMean, dInvStd, xhat2, invStd2));
    return [fold.fromGroups(dx2), dGamma, dBeta];
  });
}
