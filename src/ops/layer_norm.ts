/** The public op: checks its arguments, then runs the backend's kernel or the composite. */
import * as tf from '@tensorflow/tfjs';

import {kernelsSupport, LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../kernel_names';
import {AxisArg, checkEpsilon, describeValue, normalizeAxes, paramShape} from '../layer_norm_util';
import {FORCE_COMPOSITE_FLAG, layerNormComposite} from './layer_norm_composite';

/** Options of {@link layerNorm} and {@link layerNormWithStats}. */
export interface LayerNormOptions {
  /** Axes normalized together (negative from the end). Default -1. */
  axis?: AxisArg;
  /** Added to the biased variance before the square root. Default 1e-5. */
  epsilon?: number;
  /** Axes gamma and beta span (Flax's `feature_axes`), broadcast over the rest. Default: `axis`. */
  featureAxes?: AxisArg;
}

const OPTION_KEYS = ['axis', 'epsilon', 'featureAxes'];

/** What {@link layerNormWithStats} returns. */
export interface LayerNormWithStats<R extends tf.Rank = tf.Rank> {
  /** The normalized, scaled and shifted output, shaped as x. */
  y: tf.Tensor<R>;
  /** Mean of each group, shaped as x with the normalized axes set to 1. */
  mean: tf.Tensor<R>;
  /** 1 / sqrt(var + epsilon) of each group, shaped as mean. */
  invStd: tf.Tensor<R>;
}

/** The default `epsilon` of {@link layerNorm} (MXNet's and PyTorch's). */
export const DEFAULT_EPSILON = 1e-5;

/** A tensor, or what `tf.tensor` accepts (nested arrays of numbers, typed arrays). */
export type TensorArg = tf.Tensor|tf.TensorLike;

function layerNorm_(
    x: TensorArg, gamma?: TensorArg|null, beta?: TensorArg|null,
    options: LayerNormOptions = {}): tf.Tensor {
  return run(x, gamma, beta, options, false) as tf.Tensor;
}

function layerNormWithStats_(
    x: TensorArg, gamma?: TensorArg|null, beta?: TensorArg|null,
    options: LayerNormOptions = {}): LayerNormWithStats {
  return run(x, gamma, beta, options, true) as LayerNormWithStats;
}

/** The type of {@link layerNorm}: the result has the input's tensor type. */
export interface LayerNormFn {
  /**
   * Layer normalization: `y = (x - mean) / sqrt(var + epsilon) * gamma + beta`,
   * the mean and (biased) variance taken over all of `options.axis` together.
   *
   * @param x Input of rank >= 1, float32 (int32 is computed as float32).
   * @param gamma Scale shaped as x's sizes at `featureAxes` (default `axis`)
   *     in ascending axis order (`[C]` for NCHW and axis 1), or null for none.
   * @param beta Shift shaped as gamma, or null for none.
   * @param options `{axis = -1, epsilon = 1e-5, featureAxes = axis}`.
   * @returns y, shaped and typed as x (`Tensor3D` in, `Tensor3D` out).
   */
  <R extends tf.Rank>(x: tf.Tensor<R>, gamma?: TensorArg|null, beta?: TensorArg|null,
                      options?: LayerNormOptions): tf.Tensor<R>;
  /**
   * Layer normalization of a nested array or typed array.
   *
   * @param x Input of rank >= 1 (nested arrays of numbers, typed arrays).
   * @param gamma Scale shaped as x's sizes at `featureAxes` (default `axis`)
   *     in ascending axis order, or null for none.
   * @param beta Shift shaped as gamma, or null for none.
   * @param options `{axis = -1, epsilon = 1e-5, featureAxes = axis}`.
   * @returns y, shaped as x.
   */
  (x: TensorArg, gamma?: TensorArg|null, beta?: TensorArg|null, options?: LayerNormOptions): tf.Tensor;
}

/** The type of {@link layerNormWithStats}: the results have the input's tensor type. */
export interface LayerNormWithStatsFn {
  /**
   * Layer normalization that also returns the statistics (ONNX
   * LayerNormalization's Mean and InvStdDev outputs, MXNet's
   * `output_mean_var`). Gradients flow through all three outputs.
   *
   * @param x Input of rank >= 1, float32 (int32 is computed as float32).
   * @param gamma Scale shaped as x's sizes at `featureAxes` (default `axis`)
   *     in ascending axis order, or null for none.
   * @param beta Shift shaped as gamma, or null for none.
   * @param options `{axis = -1, epsilon = 1e-5, featureAxes = axis}`.
   * @returns `{y, mean, invStd}`: y shaped as x; mean and
   *     invStd = 1 / sqrt(var + epsilon) shaped as x with the normalized axes set to 1.
   */
  <R extends tf.Rank>(x: tf.Tensor<R>, gamma?: TensorArg|null, beta?: TensorArg|null,
                      options?: LayerNormOptions): LayerNormWithStats<R>;
  /**
   * Layer normalization of a nested array or typed array, with the statistics.
   *
   * @param x Input of rank >= 1 (nested arrays of numbers, typed arrays).
   * @param gamma Scale shaped as x's sizes at `featureAxes` (default `axis`)
   *     in ascending axis order, or null for none.
   * @param beta Shift shaped as gamma, or null for none.
   * @param options `{axis = -1, epsilon = 1e-5, featureAxes = axis}`.
   * @returns `{y, mean, invStd}`.
   */
  (x: TensorArg, gamma?: TensorArg|null, beta?: TensorArg|null,
   options?: LayerNormOptions): LayerNormWithStats;
}

/**
 * Layer normalization: `y = (x - mean) / sqrt(var + epsilon) * gamma + beta`,
 * the mean and (biased) variance taken over all of `axis` together; runs the
 * backend's fused kernel where one is registered, a composite of TF.js ops
 * elsewhere. Every bad argument is an error naming it.
 *
 * ```js
 * const y = layerNorm(x, gamma, beta, {axis: -1, epsilon: 1e-5});
 * ```
 *
 * @function
 */
export const layerNorm: LayerNormFn = tf.op({layerNorm_}) as LayerNormFn;

/**
 * As {@link layerNorm}, also returning the statistics: `{y, mean, invStd}`
 * (ONNX LayerNormalization's Mean and InvStdDev outputs, MXNet's
 * `output_mean_var`; std = 1 / invStd). Gradients flow through all three.
 *
 * ```js
 * const {y, mean, invStd} = layerNormWithStats(x, null, null, {axis: [1, 2]});
 * ```
 *
 * @function
 */
export const layerNormWithStats: LayerNormWithStatsFn =
    tf.op({layerNormWithStats_}) as LayerNormWithStatsFn;

function run(
    xArg: TensorArg, gammaArg: TensorArg|null|undefined,
    betaArg: TensorArg|null|undefined, options: LayerNormOptions,
    withStats: boolean): tf.Tensor|LayerNormWithStats {
  checkOptions(options);
  const {axis = -1, epsilon = DEFAULT_EPSILON} = options;
  checkEpsilon(epsilon);
  const xShape = shapeAndDtypeOf(xArg, 'x');
  const rank = xShape.shape.length;
  if (rank === 0) {
    throw new Error('layerNorm: x must have rank >= 1; got a scalar (shape [])');
  }
  const axes = normalizeAxes(axis, rank);
  const featureAxes = options.featureAxes == null ?
      axes : normalizeAxes(options.featureAxes, rank, 'featureAxes', true);
  const expected = paramShape(xShape.shape, featureAxes);
  for (const [name, arg] of [['gamma', gammaArg], ['beta', betaArg]] as const) {
    if (arg == null) {
      continue;
    }
    const {shape} = shapeAndDtypeOf(arg, name);
    if (!tf.util.arraysEqual(shape, expected)) {
      throw new Error(`layerNorm: ${name} must have shape [${expected}] (the sizes of x [${
          xShape.shape}] at featureAxes [${featureAxes}]); got [${shape}]`);
    }
  }

  const x = asFloat(xArg);
  const gamma = gammaArg == null ? tf.ones(expected) : asFloat(gammaArg);
  const beta = betaArg == null ? tf.zeros(expected) : asFloat(betaArg);
  const attrs: LayerNormAttrs = {axis: axes, epsilon, featureAxes};
  const [y, mean, invStd] = useKernel(attrs, rank) ?
      tf.engine().runKernel(
          LayerNormKernel, {x, gamma, beta} as LayerNormInputs as unknown as tf.NamedTensorMap,
          attrs as unknown as tf.NamedAttrMap) as tf.Tensor[] :
      layerNormComposite(x, gamma, beta, attrs);
  return withStats ? {y, mean, invStd} : y;
}

function useKernel(attrs: LayerNormAttrs, rank: number): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(LayerNormKernel, backend) != null &&
      !tf.env().getBool(FORCE_COMPOSITE_FLAG) && kernelsSupport(backend, attrs, rank);
}

function checkOptions(options: unknown) {
  if (options == null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`layerNorm: options must be an object {axis?, epsilon?, featureAxes?}; got ${
        describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new Error(`layerNorm: unknown option '${key}'; options are ${OPTION_KEYS.join(', ')}`);
    }
  }
}

const ACCEPTED_DTYPES = ['float32', 'int32'];

/** Shape and dtype of a tensor argument, without making a tensor. */
function shapeAndDtypeOf(arg: TensorArg, name: string): {shape: number[], dtype: tf.DataType} {
  let shape: number[];
  let dtype: tf.DataType;
  if (arg instanceof tf.Tensor) {
    if (arg.isDisposed) {
      throw new Error(`layerNorm: ${name} is a disposed tensor`);
    }
    shape = arg.shape;
    dtype = arg.dtype;
  } else if (Array.isArray(arg) || ArrayBuffer.isView(arg) || typeof arg === 'number') {
    shape = nestedShape(arg);
    dtype = arg instanceof Int32Array ? 'int32' : 'float32';
    checkNested(arg, shape, 0, name, '');
  } else {
    throw new Error(`layerNorm: ${name} must be a tf.Tensor or a nested ` +
                    `array of numbers; got ${typeof arg}`);
  }
  if (!ACCEPTED_DTYPES.includes(dtype)) {
    throw new Error(`layerNorm: ${name} must have dtype float32 (int32 is ` +
                    `computed as float32); got ${dtype}`);
  }
  return {shape, dtype};
}

/** Shape of a nested array, typed array or number, from its first elements. */
function nestedShape(arg: unknown): number[] {
  const shape: number[] = [];
  let level = arg;
  while (Array.isArray(level) || ArrayBuffer.isView(level)) {
    const items = level as ArrayLike<unknown>;
    shape.push(items.length);
    level = items[0];
  }
  return shape;
}

/** Every element is a number and every sub-array has the shape's size (not ragged). */
function checkNested(arg: unknown, shape: number[], depth: number, name: string, path: string) {
  if (depth === shape.length) {
    if (typeof arg !== 'number') {
      throw new Error(`layerNorm: ${name} must be a tensor or a rectangular nested array ` +
                      `of numbers; ${name}${path} is ${describeValue(arg)}`);
    }
    return;
  }
  if (ArrayBuffer.isView(arg) && depth === shape.length - 1 &&
      (arg as unknown as ArrayLike<number>).length === shape[depth]) {
    return;
  }
  if (!(Array.isArray(arg) || ArrayBuffer.isView(arg)) ||
      (arg as ArrayLike<unknown>).length !== shape[depth]) {
    throw new Error(`layerNorm: ${name} is a ragged nested array: ${name}${path} ` +
                    `should hold ${shape[depth]} elements (shape [${shape}]); got ${
                        Array.isArray(arg) ? `${arg.length} elements` : describeValue(arg)}`);
  }
  const items = arg as ArrayLike<unknown>;
  for (let i = 0; i < items.length; i++) {
    checkNested(items[i], shape, depth + 1, name, `${path}[${i}]`);
  }
}

function asFloat(arg: TensorArg): tf.Tensor {
  const t = arg instanceof tf.Tensor ? arg : tf.tensor(arg);
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}
