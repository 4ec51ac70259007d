/**
 * Forward LayerNorm for tfjs-node's `tensorflow` backend in TensorFlow ops. Routes:
 *  - 'checked' (default): stats straight from x, then a host check; a call with any group whose
 *    float32 mean costs xhat accuracy or that is near-constant reruns as 'nativeOps'. gamma/beta
 *    through one FusedBatchNormV3 (inference, NHWC) where gamma runs along the columns.
 *  - 'nativeOps': groups shifted by their first element, two-pass stats, all in native ops.
 *  - 'fusedBatchNorm': FusedBatchNormV3 (training) on the shifted x as NCHW [1, groups, n, 1].
 */
import * as tf from '@tensorflow/tfjs';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {statsShape} from '../../layer_norm_util';
import {layerNormComposite} from '../../ops/layer_norm_composite';
import {FoldedLayout, foldedLayout, NativeOps, TensorflowBackend} from './native_ops_impl';

export type TensorflowKernelRoute = 'checked'|'nativeOps'|'fusedBatchNorm';
const ROUTES: TensorflowKernelRoute[] = ['checked', 'nativeOps', 'fusedBatchNorm'];
let route: TensorflowKernelRoute = 'checked';

export function setTensorflowKernelRoute(r: TensorflowKernelRoute): void {
  if (!ROUTES.includes(r)) {
    throw new Error(`setTensorflowKernelRoute: route must be one of ${ROUTES.join(', ')}; got ${String(r)}`);
  }
  route = r;
}

export function tensorflowKernelRoute(): TensorflowKernelRoute {
  return route;
}

/** xhat is off by up to |mean| * invStd * 2^-24 when x - mean is taken in float32: at most 1e-6 here. */
export const MEAN_OVER_SPREAD_BOUND = 16;

/** Normalized and feature axes; featureAxes defaults to the normalized axes. */
export function layoutOf(xShape: readonly number[], attrs: {axis: number[], featureAxes?: number[]}) {
  return foldedLayout(xShape, attrs.axis, attrs.featureAxes ?? attrs.axis);
}

/** Below this invStd (a spread above 2^100; the backward's input) x - mean may overflow float32. */
const TINY_INV_STD = 2 ** -100;

/**
 * Every |mean| * invStd within the bound, no (near-)constant group (it must
 * give exactly beta), every variance finite (float32 squares overflow above a
 * spread of ~1.8e19; NaN rows also take the scaled route) and no tiny invStd.
 */
export function checkedStatsHold(
    mean: tf.TensorInfo, variance: tf.TensorInfo|null, invStd: tf.TensorInfo): boolean {
  const read = (t: tf.TensorInfo) => tf.engine().readSync(t.dataId) as Float32Array;
  const m = read(mean), s = read(invStd), v = variance == null ? null : read(variance);
  for (let i = 0; i < m.length; i++) {
    if (!(Math.abs(m[i]) * s[i] <= MEAN_OVER_SPREAD_BOUND) || !(s[i] >= TINY_INV_STD)) return false;
    if (v != null && !Number.isFinite(v[i])) return false;
    if (v != null && m[i] !== 0 && !(v[i] > (m[i] * 2 ** -20) ** 2)) return false;
  }
  return true;
}

/** Every value finite. */
function allFinite(t: tf.TensorInfo): boolean {
  return (tf.engine().readSync(t.dataId) as Float32Array).every(Number.isFinite);
}

/**
 * x - mean = 2 scale (s - mean(s)) with s = (x / 2 - shift / 2) / scale, shift
 * each group's first element (0 where not finite) and scale its largest
 * |x / 2 - shift / 2|, at least `floor` (1 where that is 0 or not finite): no
 * float32 square or difference overflows (as the composite does it).
 */
export function scaledCentering(ops: NativeOps, x: tf.TensorInfo, layout: FoldedLayout, floor: number) {
  const first = ops.slice(x, layout.shape.map(() => 0), layout.statsShape);
  const shift = ops.finiteOrZero(first);
  const half = ops.scalar(0.5);
  const halved = ops.sub(ops.mul(x, half), ops.mul(shift, half));
  const scale = ops.finiteNonZeroOrOne(
      ops.maximum(ops.max(ops.abs(halved), layout.axes), ops.scalar(floor)));
  const scaled = ops.div(halved, scale);
  const scaledMean = ops.mean(scaled, layout.axes);
  return {shift, scale, scaledMean, centered: ops.sub(scaled, scaledMean)};
}

/** y = xhat * gamma + beta; one FusedBatchNormV3 (inference, NHWC) when gamma runs along the columns. */
function affine(ops: NativeOps, xhat: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo,
                layout: FoldedLayout, useBatchNorm: boolean): tf.TensorInfo {
  if (useBatchNorm && layout.rowsWithColumnParams) {
    const n = layout.groupLength;
    const [y] = ops.fusedBatchNorm(
        ops.reshape(xhat, [1, 1, layout.groupCount, n]), ops.reshape(gamma, [n]), ops.reshape(beta, [n]),
        tf.zeros([n]), tf.ones([n]), 0, 'NHWC', false);
    return y;
  }
  return ops.add(ops.mul(xhat, ops.reshape(gamma, layout.paramShape)), ops.reshape(beta, layout.paramShape));
}

function forward(ops: NativeOps, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo,
                 layout: FoldedLayout, epsilon: number): tf.TensorInfo[] {
  const {axes} = layout;
  const eps = ops.scalar(epsilon);
  if (route === 'checked') {
    // The norm of x - mean (needed for xhat anyway) gives the variance without a squared temporary.
    const mean = ops.mean(x, axes);
    const centered = ops.sub(x, mean);
    const variance = ops.mul(ops.square(ops.euclideanNorm(centered, axes)), ops.scalar(1 / layout.groupLength));
    const invStd = ops.rsqrt(ops.add(variance, eps));
    if (checkedStatsHold(mean, variance, invStd)) {
      const y = affine(ops, ops.mul(centered, invStd), gamma, beta, layout, true);
      return [y, mean, invStd];
    }
  }
  if (route === 'fusedBatchNorm' && layout.rowsWithColumnParams) {
    const first = ops.slice(x, layout.shape.map(() => 0), layout.statsShape);
    const shift = ops.finiteOrZero(first);
    const {groupCount: g, groupLength: n} = layout;
    const [xhat, batchMean, batchVariance] = ops.fusedBatchNorm(
        ops.reshape(ops.sub(x, shift), [1, g, n, 1]), tf.ones([g]), tf.zeros([g]), tf.zeros([0]),
        tf.zeros([0]), epsilon, 'NCHW', true);
    // A non-finite variance (overflowing squares, or NaN data) takes the scaled route below.
    if (allFinite(batchVariance)) {
      // The batch variance is Bessel-corrected: n / max(n - 1, 1) times the biased one.
      const variance = ops.mul(batchVariance, ops.scalar(Math.max(n - 1, 1) / n));
      const invStd = ops.rsqrt(ops.add(ops.reshape(variance, layout.statsShape), eps));
      const y = affine(ops, ops.reshape(xhat, layout.shape), gamma, beta, layout, false);
      return [y, ops.add(shift, ops.reshape(batchMean, layout.statsShape)), invStd];
    }
  }
  const root = Math.sqrt(epsilon) / 2;
  const {shift, scale, scaledMean, centered} = scaledCentering(ops, x, layout, root);
  // var + epsilon = 4 scale^2 (scaledVar + (sqrt(epsilon) / (2 scale))^2).
  const rootOfScaled = ops.rsqrt(ops.add(ops.mean(ops.square(centered), axes),
                                         ops.square(ops.div(ops.scalar(root), scale))));
  const y = affine(ops, ops.mul(centered, rootOfScaled), gamma, beta, layout, route === 'checked');
  const half = ops.mul(scale, scaledMean);
  const invStd = ops.div(ops.mul(rootOfScaled, ops.scalar(0.5)), scale);
  return [y, ops.add(ops.add(shift, half), half), invStd];
}

export function layerNorm(args: {
  inputs: LayerNormInputs,
  backend: TensorflowBackend,
  attrs: LayerNormAttrs & {featureAxes?: number[]},
}): tf.TensorInfo[] {
  const {inputs: {x, gamma, beta}, backend, attrs} = args;
  const outStatsShape = statsShape(x.shape, attrs.axis);
  return tf.tidy(() => {
    const ops = new NativeOps(backend);
    if (tf.util.sizeFromShape(x.shape) === 0) {
      const asTensor = (t: tf.TensorInfo) => ops.toFloat(t) as tf.Tensor;  // kernel inputs are Tensors
      return layerNormComposite(asTensor(x), asTensor(gamma), asTensor(beta), attrs);
    }
    const layout = layoutOf(x.shape, attrs);
    const [y, mean, invStd] = forward(
        ops, ops.reshape(ops.toFloat(x), layout.shape), ops.toFloat(gamma), ops.toFloat(beta), layout,
        attrs.epsilon);
    return [ops.reshape(y, x.shape), ops.reshape(mean, outStatsShape), ops.reshape(invStd, outStatsShape)] as
        tf.Tensor[];  // all made here (never an input), so Tensors
  });
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'tensorflow',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
