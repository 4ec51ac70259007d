/**
 * LayerNorm as a composite of TF.js ops, for backends without a kernel of
 * ours (tfjs-node's `tensorflow`, or any other), and its backward.
 *
 * Every computation runs on x folded to [groupCount, groupLength] (a reshape
 * for contiguous groups, a gather otherwise): rank 2 whatever x's rank, as
 * TF.js's wasm binary ops stop at rank 6 and webgpu's `where` at rank 4.
 *
 * Numerics in float32 ops: each group is halved and shifted by its first
 * element, d = x/2 - x0/2 (exact halving: no overflow near float32's max),
 * then divided by s = max|d|, so no square overflows (rows like
 * [1e20, -1e20, 1, -1]); the variance is the mean of squared deviations,
 * never E[x^2] - E[x]^2.
 *
 * Gradients: y, mean and invStd are three `tf.customGrad` nodes sharing one
 * forward, whose gradients with respect to x add up to the formula of
 * kernel_names.ts; a loss that uses only y never runs the stats nodes.
 */
import * as tf from '@tensorflow/tfjs';

import {LayerNormAttrs} from '../kernel_names';
import {statsShape} from '../layer_norm_util';
import {columnOffsets, GroupLayout, groupLayout, groupOffsets} from '../layout';

/**
 * TF.js flag that makes `layerNorm` run this composite even where the active
 * backend has a kernel of ours (tests, comparisons); a flag rather than
 * module state so that every copy of this package in one program sees it.
 */
export const FORCE_COMPOSITE_FLAG = 'LAYERNORM_FORCE_COMPOSITE';
tf.env().registerFlag(FORCE_COMPOSITE_FLAG, () => false);

/** Moves tensors between x's layout and the [groupCount, groupLength] fold. */
class GroupFold {
  readonly layout: GroupLayout;
  private readonly elementIndex: Int32Array|null = null;
  private readonly paramIndex: Int32Array|null = null;
  /** gamma's entry depends on the column only. */
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

/** The folded group, shifted, halved and scaled: x - mean = 2 * scale * centered. */
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
  // At least sqrt(epsilon) / 2, so that epsilon / (4 scale^2) stays finite;
  // 1 for a group holding a NaN or an Infinity (which then propagates).
  const scale = tf.where(tf.isFinite(largest),
                         tf.maximum(largest, Math.sqrt(epsilon) / 2), tf.ones([groupCount, 1]));
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
  // var + epsilon = 4 scale^2 (scaledVar + epsilon / (4 scale^2)).
  const root = tf.rsqrt(tf.add(tf.mean(tf.square(centered), 1, true),
                               tf.div(epsilon, tf.mul(tf.square(scale), 4))));
  const xhat2 = tf.mul(centered, root);
  const y2 = tf.add(tf.mul(xhat2, fold.paramsToGroups(gamma)), fold.paramsToGroups(beta));
  const half = tf.mul(scale, scaledMean);
  // shift + half stays between shift and the mean: no overflow.
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
    // The three nodes take x flattened, so the engine sums their gradients
    // of x at rank 1 (wasm's binary ops are wrong above rank 6).
    const xFlat = tf.reshape(x, flat);
    // Shared with the stats nodes past `normalize`'s scope; disposed below.
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
      const meanOf = tf.customGrad((..._args: Array<tf.Tensor|tf.GradSaveFunc>) => ({
        value: tf.reshape(mean2, statShape),
        gradFunc: (dMean: tf.Tensor) =>
            tf.tidy(() => fold.fromGroups(gradOfStats(fold, dMean, null, xhat2, invStd2), flat)),
      }));
      const invStdOf = tf.customGrad((...args: Array<tf.Tensor|tf.GradSaveFunc>) => {
        (args[1] as tf.GradSaveFunc)([xhat2, invStd2]);
        return {
          value: tf.reshape(invStd2, statShape),
          gradFunc: (dInvStd: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(
              () => fold.fromGroups(gradOfStats(fold, null, dInvStd, saved[0], saved[1]), flat)),
        };
      });
      return [y, meanOf(xFlat), invStdOf(xFlat)];
    } finally {
      tf.dispose([kept.mean2, kept.invStd2, kept.xhat2].filter((t): t is tf.Tensor => t != null));
    }
  });
}

/**
 * [dx, dGamma, dBeta] in TF.js ops, for a backend with a forward kernel of
 * ours but no backward one. xhat comes from x again, as in the forward.
 */
export function layerNormGradComposite(
    dy: tf.Tensor, x: tf.Tensor, invStd: tf.Tensor, gamma: tf.Tensor, dMean: tf.Tensor,
    dInvStd: tf.Tensor, axis: number[], featureAxes: number[]): tf.Tensor[] {
  return tf.tidy(() => {
    const fold = new GroupFold(x.shape, axis, gamma.shape, featureAxes);
    const invStd2 = tf.reshape(invStd, [fold.shape2d[0], 1]);
    // epsilon only bounds the scale from below; any positive value will do.
    const {scale, centered} = center(fold.toGroups(x), 1e-30);
    const xhat2 = tf.mul(centered, tf.mul(tf.mul(scale, invStd2), 2));
    const [dxOfY, dGamma, dBeta] = gradOfY(fold, dy, xhat2, invStd2, gamma);
    const dx2 = tf.add(dxOfY, gradOfStats(fold, dMean, dInvStd, xhat2, invStd2));
    return [fold.fromGroups(dx2), dGamma, dBeta];
  });
}
