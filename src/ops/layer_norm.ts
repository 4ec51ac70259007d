/**
 * The public op: validates its arguments, then dispatches the registered
 * kernel of the active backend, or the composite of TF.js ops when that
 * backend has none (tfjs-node, or any backend this package does not cover).
 */
import * as tf from '@tensorflow/tfjs';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../kernel_names';
import {AxisArg, normalizeAxes, paramShape} from '../layer_norm_util';
import {FORCE_COMPOSITE_FLAG, layerNormComposite} from './layer_norm_composite';

export interface LayerNormOptions {
  /**
   * Axes normalized together: an integer or an array of distinct integers,
   * negative counting from the end. Default -1 (the last axis).
   */
  axis?: AxisArg;
  /** Added to the biased variance before the square root. Default 1e-5. */
  epsilon?: number;
}

export interface LayerNormWithStats<R extends tf.Rank = tf.Rank> {
  /** The normalized, scaled and shifted output, shaped as x. */
  y: tf.Tensor<R>;
  /** Mean of each group, shaped as x with the normalized axes set to 1. */
  mean: tf.Tensor<R>;
  /** 1 / sqrt(var + epsilon) of each group, shaped as mean. */
  invStd: tf.Tensor<R>;
}

export const DEFAULT_EPSILON = 1e-5;

type TensorArg = tf.Tensor|tf.TensorLike;

/**
 * Layer normalization: `y = (x - mean) / sqrt(var + epsilon) * gamma + beta`,
 * the mean and (biased) variance taken over all of `axis` together.
 *
 * @param x Input of rank >= 1, float32 (int32 is computed as float32).
 * @param gamma Scale shaped as x's sizes at `axis` in ascending axis order,
 *     or null/undefined for none.
 * @param beta Shift shaped as gamma, or null/undefined for none.
 */
export function layerNorm<R extends tf.Rank>(
    x: tf.Tensor<R>, gamma?: TensorArg|null, beta?: TensorArg|null,
    options?: LayerNormOptions): tf.Tensor<R>;
export function layerNorm(
    x: TensorArg, gamma?: TensorArg|null, beta?: TensorArg|null,
    options?: LayerNormOptions): tf.Tensor;
export function layerNorm(
    x: TensorArg, gamma?: TensorArg|null, beta?: TensorArg|null,
    options: LayerNormOptions = {}): tf.Tensor {
  return run(x, gamma, beta, options, false) as tf.Tensor;
}

/**
 * As `layerNorm`, also returning the statistics (ONNX LayerNormalization's
 * Mean and InvStdDev outputs, MXNet's `output_mean_var`). Gradients flow
 * through all three outputs.
 */
export function layerNormWithStats<R extends tf.Rank>(
    x: tf.Tensor<R>, gamma?: TensorArg|null, beta?: TensorArg|null,
    options?: LayerNormOptions): LayerNormWithStats<R>;
export function layerNormWithStats(
    x: TensorArg, gamma?: TensorArg|null, beta?: TensorArg|null,
    options?: LayerNormOptions): LayerNormWithStats;
export function layerNormWithStats(
    x: TensorArg, gamma?: TensorArg|null, beta?: TensorArg|null,
    options: LayerNormOptions = {}): LayerNormWithStats {
  return run(x, gamma, beta, options, true) as LayerNormWithStats;
}

function run(
    xArg: TensorArg, gammaArg: TensorArg|null|undefined,
    betaArg: TensorArg|null|undefined, options: LayerNormOptions,
    withStats: boolean): tf.Tensor|LayerNormWithStats {
  if (options == null || typeof options !== 'object') {
    throw new Error(
        `layerNorm: options must be an object {axis?, epsilon?}; got ${
            String(options)}`);
  }
  const {axis = -1, epsilon = DEFAULT_EPSILON} = options;
  checkEpsilon(epsilon);
  // Every check happens before any tensor is made, so a bad call leaks none.
  const xShape = shapeAndDtypeOf(xArg, 'x');
  if (xShape.shape.length === 0) {
    throw new Error(
        'layerNorm: x must have rank >= 1; got a scalar (shape [])');
  }
  const axes = normalizeAxes(axis, xShape.shape.length);
  const expected = paramShape(xShape.shape, axes);
  for (const [name, arg] of [['gamma', gammaArg], ['beta', betaArg]] as
       const) {
    if (arg == null) {
      continue;
    }
    const {shape} = shapeAndDtypeOf(arg, name);
    if (!tf.util.arraysEqual(shape, expected)) {
      throw new Error(`layerNorm: ${name} must have shape [${
          expected}] (the sizes of x [${xShape.shape}] at axis [${
          axes}]); got [${shape}]`);
    }
  }

  return tf.tidy(() => {
    const x = asFloat(xArg);
    const gamma = gammaArg == null ? tf.ones(expected) : asFloat(gammaArg);
    const beta = betaArg == null ? tf.zeros(expected) : asFloat(betaArg);
    const attrs: LayerNormAttrs = {axis: axes, epsilon};
    let outputs: tf.Tensor[];
    if (tf.getKernel(LayerNormKernel, tf.getBackend()) != null &&
        !tf.env().getBool(FORCE_COMPOSITE_FLAG)) {
      const inputs: LayerNormInputs = {x, gamma, beta};
      outputs = tf.engine().runKernel(
                    LayerNormKernel, inputs as unknown as tf.NamedTensorMap,
                    attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    } else {
      outputs = layerNormComposite(x, gamma, beta, attrs);
    }
    const [y, mean, invStd] = outputs;
    return withStats ? {y, mean, invStd} : y;
  });
}

function checkEpsilon(epsilon: unknown) {
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) ||
      epsilon <= 0) {
    throw new Error(`layerNorm: epsilon must be a finite number > 0; got ${
        String(epsilon)}`);
  }
}

const ACCEPTED_DTYPES = ['float32', 'int32'];

/** Shape and dtype of a tensor argument, without making a tensor. */
function shapeAndDtypeOf(arg: TensorArg, name: string):
    {shape: number[], dtype: tf.DataType} {
  let shape: number[];
  let dtype: tf.DataType;
  if (arg instanceof tf.Tensor) {
    if (arg.isDisposed) {
      throw new Error(`layerNorm: ${name} is a disposed tensor`);
    }
    shape = arg.shape;
    dtype = arg.dtype;
  } else if (
      Array.isArray(arg) || ArrayBuffer.isView(arg) || typeof arg === 'number') {
    shape = nestedShape(arg);
    dtype = arg instanceof Int32Array ? 'int32' : 'float32';
    if (!isNumeric(arg)) {
      throw new Error(
          `layerNorm: ${name} must be a tensor or nested array of numbers`);
    }
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

/** Shape of a nested array, typed array or number (as tf.tensor infers it). */
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

function isNumeric(arg: unknown): boolean {
  if (typeof arg === 'number') {
    return true;
  }
  if (ArrayBuffer.isView(arg)) {
    return true;
  }
  return Array.isArray(arg) && arg.every(isNumeric);
}

function asFloat(arg: TensorArg): tf.Tensor {
  const t = arg instanceof tf.Tensor ? arg : tf.tensor(arg);
  return t.dtype === 'float32' ? t : tf.cast(t, 'float32');
}
