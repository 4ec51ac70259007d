/**
 * Ports from other frameworks' LayerNorm: each maps that framework's
 * constructor arguments (camelCase) and defaults onto `LayerNormLayerArgs`,
 * and its parameter names and layouts onto our `gamma` and `beta`.
 */
import * as tf from '@tensorflow/tfjs';

import {AxisArg} from '../layer_norm_util';
import {describe} from './keras_objects';
import type {LayerNormLayerArgs} from './layer_norm_layer';

type PortedArgs = LayerNormLayerArgs;

type Weight = tf.Tensor|tf.TensorLike;

/** Base-layer arguments every port passes through unchanged. */
const LAYER_ARG_NAMES = ['name', 'trainable', 'inputShape', 'batchInputShape', 'batchSize'];

export const PYTORCH_DEFAULT_EPS = 1e-5;
export const FLAX_DEFAULT_EPSILON = 1e-6;
export const MLX_DEFAULT_EPS = 1e-5;
export const KERAS_DEFAULT_EPSILON = 1e-3;

/** `torch.nn.LayerNorm(normalized_shape, eps, elementwise_affine, bias)`. */
export interface PyTorchLayerNormArgs {
  /** The trailing dims normalized: an integer or an array of them. */
  normalizedShape: number|number[];
  /** Default 1e-5. */
  eps?: number;
  /** Learn `weight` (and `bias`). Default true. */
  elementwiseAffine?: boolean;
  /** Learn `bias` (with elementwiseAffine). Default true. */
  bias?: boolean;
  /** Only float32 (TF.js layers compute in float32). */
  dtype?: string;
  name?: string;
  trainable?: boolean;
}

/** PyTorch's parameters: `weight` and `bias`, shaped as normalizedShape. */
export interface PyTorchLayerNormWeights {
  weight?: Weight;
  bias?: Weight;
}

/** `flax.linen.LayerNorm(...)`. */
export interface FlaxLayerNormArgs {
  /** Default 1e-6. */
  epsilon?: number;
  /** Learn `bias`. Default true. */
  useBias?: boolean;
  /** Learn `scale`. Default true. */
  useScale?: boolean;
  /** Axes the statistics are taken over. Default -1. */
  reductionAxes?: AxisArg;
  /** Axes the parameters span. Default -1 (whatever reductionAxes is). */
  featureAxes?: AxisArg;
  /**
   * Flax's E[x²] - E[x]² shortcut (default true). Accepted either way: the
   * variance here is always the exact one, which is what Flax computes with
   * it off and, within float32 noise, with it on for well-scaled data.
   */
  useFastVariance?: boolean;
  /** Only true or absent (statistics here are float32 or better). */
  forceFloat32Reductions?: boolean;
  /** Cross-device statistics: not supported (must be absent or null). */
  axisName?: string|null;
  axisIndexGroups?: unknown;
  dtype?: string|null;
  paramDtype?: string;
  name?: string;
  trainable?: boolean;
}

/** Flax's parameters: `scale` and `bias`, shaped as x at featureAxes. */
export interface FlaxLayerNormWeights {
  scale?: Weight;
  bias?: Weight;
}

/** `mlx.nn.LayerNorm(dims, eps, affine, bias)`: the last axis. */
export interface MLXLayerNormArgs {
  /** Size of the last axis. */
  dims: number;
  /** Default 1e-5. */
  eps?: number;
  /** Learn `weight` (and `bias`). Default true. */
  affine?: boolean;
  /** Learn `bias` (with affine). Default true. */
  bias?: boolean;
  name?: string;
  trainable?: boolean;
}

export interface MLXLayerNormWeights {
  weight?: Weight;
  bias?: Weight;
}

/** Keras' parameters: `gamma` and `beta`. */
export interface KerasLayerNormWeights {
  gamma?: Weight;
  beta?: Weight;
}

/** Gluon's (and this layer's) names. */
export type MXNetLayerNormWeights = KerasLayerNormWeights;

/** A Keras LayerNormalization config, snake_case or camelCase, or its `{class_name, config}` entry. */
export type KerasLayerNormConfig = {[key: string]: unknown};

function fail(owner: string, message: string): never {
  throw new Error(`${owner}: ${message}`);
}

function checkKeys(owner: string, args: unknown, own: string[]): {[key: string]: unknown} {
  if (args == null || typeof args !== 'object' || Array.isArray(args)) {
    fail(owner, `args must be an object; got ${describe(args)}`);
  }
  const allowed = [...own, ...LAYER_ARG_NAMES];
  for (const key of Object.keys(args as object)) {
    if (!allowed.includes(key)) {
      fail(owner, `unknown argument '${key}'; expected ${allowed.join(', ')}`);
    }
  }
  return args as {[key: string]: unknown};
}

function layerArgs(args: {[key: string]: unknown}): Partial<PortedArgs> {
  const out: {[key: string]: unknown} = {};
  for (const key of LAYER_ARG_NAMES) {
    if (args[key] !== undefined) out[key] = args[key];
  }
  return out as Partial<PortedArgs>;
}

function bool(owner: string, name: string, value: unknown, byDefault: boolean): boolean {
  if (value === undefined) return byDefault;
  if (typeof value !== 'boolean') fail(owner, `${name} must be true or false; got ${describe(value)}`);
  return value;
}

function positiveNumber(owner: string, name: string, value: unknown, byDefault: number): number {
  if (value === undefined) return byDefault;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(owner, `${name} must be a finite number > 0; got ${describe(value)}`);
  }
  return value;
}

function axisArg(owner: string, name: string, value: unknown, byDefault: AxisArg): AxisArg {
  if (value === undefined) return byDefault;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every(a => Number.isInteger(a))) {
    fail(owner, `${name} must be an integer or a non-empty array of integers; got ${describe(value)}`);
  }
  return Array.isArray(value) ? [...value] : value as number;
}

function float32Only(owner: string, name: string, value: unknown) {
  if (value != null && value !== 'float32' && value !== 'torch.float32') {
    fail(owner, `${name} must be 'float32' (TF.js layers compute in float32); got ${describe(value)}`);
  }
}

/**
 * The layer's initial `weights` ([gamma, beta], those it has) from a
 * framework's parameters named `names`; applied by TF.js when the layer is
 * built, which checks their shapes.
 */
function initialWeights(
    owner: string, weights: unknown, names: [string, string], scale: boolean,
    center: boolean, reshape?: (w: tf.Tensor) => tf.Tensor): tf.Tensor[]|undefined {
  if (weights === undefined) return undefined;
  const given = checkKeys(owner, weights, names);
  const [gammaName, betaName] = names;
  const expected = [...(scale ? [gammaName] : []), ...(center ? [betaName] : [])];
  for (const name of names) {
    const has = given[name] != null;
    if (has !== expected.includes(name)) {
      fail(owner, `weights must hold exactly ${
          expected.length ? expected.map(n => `'${n}'`).join(' and ') : 'nothing'} for these ` +
          `arguments; ${has ? `got '${name}' too` : `'${name}' is missing`}`);
    }
  }
  return expected.map(name => {
    const value = given[name] as Weight;
    const t = value instanceof tf.Tensor ? tf.clone(value) : tf.tensor(value);
    const out = reshape ? reshape(t) : t;
    if (out !== t) t.dispose();
    return out;
  });
}

/**
 * `LayerNorm.fromPyTorch`: `torch.nn.LayerNorm(normalized_shape, eps=1e-5,
 * elementwise_affine=True, bias=True)` normalizes the trailing
 * `normalizedShape.length` axes together; its `weight`/`bias` are our
 * `gamma`/`beta` with the same shape. (Lucid's `nn.LayerNorm` has the same
 * signature and defaults.)
 */
export function pytorchLayerNormArgs(
    args: PyTorchLayerNormArgs, weights?: PyTorchLayerNormWeights,
    owner = 'LayerNorm.fromPyTorch'): LayerNormLayerArgs {
  const a = checkKeys(owner, args, ['normalizedShape', 'eps', 'elementwiseAffine', 'bias', 'dtype']);
  const shape = typeof a.normalizedShape === 'number' ? [a.normalizedShape] : a.normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0 ||
      !shape.every(s => Number.isInteger(s) && s > 0)) {
    fail(owner, `normalizedShape must be a positive integer or a non-empty array of them ` +
                `(the sizes of the trailing dims); got ${describe(a.normalizedShape)}`);
  }
  float32Only(owner, 'dtype', a.dtype);
  const affine = bool(owner, 'elementwiseAffine', a.elementwiseAffine, true);
  const scale = affine;
  const center = affine && bool(owner, 'bias', a.bias, true);
  const axis = shape.length === 1 ? -1 : shape.map((_, i) => i - shape.length);
  return {
    ...layerArgs(a), axis, epsilon: positiveNumber(owner, 'eps', a.eps, PYTORCH_DEFAULT_EPS),
    center, scale, inChannels: (shape as number[]).reduce((p, s) => p * s, 1),
    weights: initialWeights(owner, weights, ['weight', 'bias'], scale, center),
  };
}

/**
 * `LayerNorm.fromFlax`: `flax.linen.LayerNorm(epsilon=1e-6, use_bias=True,
 * use_scale=True, reduction_axes=-1, feature_axes=-1)`; statistics over
 * `reductionAxes` are our `axis`, parameters over `featureAxes` our
 * `featureAxes`; `scale`/`bias` are `gamma`/`beta`.
 */
export function flaxLayerNormArgs(
    args: FlaxLayerNormArgs = {}, weights?: FlaxLayerNormWeights): LayerNormLayerArgs {
  const owner = 'LayerNorm.fromFlax';
  const a = checkKeys(owner, args, [
    'epsilon', 'useBias', 'useScale', 'reductionAxes', 'featureAxes', 'useFastVariance',
    'forceFloat32Reductions', 'axisName', 'axisIndexGroups', 'dtype', 'paramDtype',
  ]);
  if (a.axisName != null || a.axisIndexGroups != null) {
    fail(owner, `axisName/axisIndexGroups (statistics across devices) cannot be expressed ` +
                `here; leave them unset`);
  }
  if (a.forceFloat32Reductions === false) {
    fail(owner, `forceFloat32Reductions: false cannot be expressed (statistics are always ` +
                `float32 or better); leave it unset or true`);
  }
  bool(owner, 'useFastVariance', a.useFastVariance, true);
  float32Only(owner, 'dtype', a.dtype);
  float32Only(owner, 'paramDtype', a.paramDtype);
  const axis = axisArg(owner, 'reductionAxes', a.reductionAxes, -1);
  const featureAxes = axisArg(owner, 'featureAxes', a.featureAxes, -1);
  const scale = bool(owner, 'useScale', a.useScale, true);
  const center = bool(owner, 'useBias', a.useBias, true);
  const out: PortedArgs = {
    ...layerArgs(a), axis, epsilon: positiveNumber(owner, 'epsilon', a.epsilon, FLAX_DEFAULT_EPSILON),
    center, scale, weights: initialWeights(owner, weights, ['scale', 'bias'], scale, center),
  };
  // Flax's feature_axes defaults to -1 whatever reduction_axes is.
  if (!sameAxes(axis, featureAxes)) out.featureAxes = featureAxes;
  return out;
}

function sameAxes(a: AxisArg, b: AxisArg): boolean {
  const sorted = (x: AxisArg) => (Array.isArray(x) ? [...x] : [x]).sort((p, q) => p - q);
  const [p, q] = [sorted(a), sorted(b)];
  return p.length === q.length && p.every((v, i) => v === q[i]);
}

/**
 * `LayerNorm.fromMLX`: `mlx.nn.LayerNorm(dims, eps=1e-5, affine=True,
 * bias=True)` normalizes the last axis, of size `dims`; `weight`/`bias`
 * are `gamma`/`beta`.
 */
export function mlxLayerNormArgs(args: MLXLayerNormArgs, weights?: MLXLayerNormWeights):
    LayerNormLayerArgs {
  const owner = 'LayerNorm.fromMLX';
  const a = checkKeys(owner, args, ['dims', 'eps', 'affine', 'bias']);
  if (!Number.isInteger(a.dims) || (a.dims as number) <= 0) {
    fail(owner, `dims must be a positive integer (the size of the last axis); got ${describe(a.dims)}`);
  }
  const scale = bool(owner, 'affine', a.affine, true);
  const center = scale && bool(owner, 'bias', a.bias, true);
  return {
    ...layerArgs(a), axis: -1, epsilon: positiveNumber(owner, 'eps', a.eps, MLX_DEFAULT_EPS),
    center, scale, inChannels: a.dims as number,
    weights: initialWeights(owner, weights, ['weight', 'bias'], scale, center),
  };
}

const KERAS_KEYS = [
  'axis', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer',
  'betaRegularizer', 'gammaRegularizer', 'betaConstraint', 'gammaConstraint', 'dtype',
  'rmsScaling', 'name', 'trainable', 'batchInputShape', 'inputShape', 'batchSize',
];
/** Keys Keras writes that change nothing here. */
const KERAS_IGNORED_KEYS = ['module', 'registeredName', 'buildConfig', 'autocast', 'synchronized'];

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A Keras-serialized initializer/regularizer/constraint as TF.js reads it. */
function tfjsObject(value: unknown): unknown {
  if (typeof value === 'string') return camel(value);
  if (Array.isArray(value)) return value.map(tfjsObject);
  if (value == null || typeof value !== 'object') return value;
  const v = value as {[key: string]: unknown};
  const className = v.class_name ?? v.className;
  if (typeof className === 'string') {
    return {className, config: tfjsObject(v.config ?? {})};
  }
  return Object.fromEntries(Object.entries(v).map(([k, e]) => [camel(k), tfjsObject(e)]));
}

/**
 * `LayerNorm.fromKeras`: a Keras 2 or 3 `LayerNormalization` config (as
 * `get_config()` returns it or model.json holds it, snake_case or
 * camelCase; also its `{class_name, config}` entry). Default axis -1,
 * epsilon 1e-3. `gamma`/`beta` keep their names; Keras shapes them by the
 * axis list in its own order, here they follow ascending axis order (the
 * same elements, reshaped).
 */
export function kerasLayerNormArgs(config: KerasLayerNormConfig, weights?: KerasLayerNormWeights):
    LayerNormLayerArgs {
  const owner = 'LayerNorm.fromKeras';
  if (config == null || typeof config !== 'object' || Array.isArray(config)) {
    fail(owner, `config must be a Keras LayerNormalization config object; got ${describe(config)}`);
  }
  let entry = config as {[key: string]: unknown};
  const className = entry.class_name ?? entry.className;
  if (className !== undefined) {
    if (className !== 'LayerNormalization') {
      fail(owner, `expected a LayerNormalization; got class_name ${describe(className)}`);
    }
    entry = (entry.config ?? {}) as {[key: string]: unknown};
  }
  const c: {[key: string]: unknown} = {};
  for (const [key, value] of Object.entries(entry)) {
    const k = camel(key);
    if (KERAS_IGNORED_KEYS.includes(k)) continue;
    if (!KERAS_KEYS.includes(k)) {
      fail(owner, `unknown LayerNormalization config key '${key}'; expected ${KERAS_KEYS.join(', ')}`);
    }
    c[k] = value;
  }
  if (c.rmsScaling === true) {
    fail(owner, `rms_scaling: true (RMS normalization without centering) cannot be expressed ` +
                `by this layer`);
  }
  const axis = axisArg(owner, 'axis', c.axis, -1);
  const scale = bool(owner, 'scale', c.scale, true);
  const center = bool(owner, 'center', c.center, true);
  const out: {[key: string]: unknown} = {
    axis, epsilon: positiveNumber(owner, 'epsilon', c.epsilon, KERAS_DEFAULT_EPSILON), center, scale,
  };
  for (const k of ['name', 'trainable', 'dtype', 'batchInputShape', 'inputShape', 'batchSize']) {
    if (c[k] != null) out[k] = k === 'dtype' ? tfjsObject(c[k]) : c[k];
  }
  for (const k of ['betaInitializer', 'gammaInitializer', 'betaRegularizer', 'gammaRegularizer',
                   'betaConstraint', 'gammaConstraint']) {
    if (c[k] != null) out[k] = tfjsObject(c[k]);
  }
  out.weights = initialWeights(owner, weights, ['gamma', 'beta'], scale, center,
                               w => toAscendingAxisOrder(owner, w, axis));
  return out as LayerNormLayerArgs;
}

/**
 * Keras sizes gamma by its axis list as given ([3, 1] -> [d3, d1]) but
 * reads the elements in ascending axis order; here the shape follows that
 * order too, so the same data is reshaped.
 */
function toAscendingAxisOrder(owner: string, w: tf.Tensor, axis: AxisArg): tf.Tensor {
  const list = Array.isArray(axis) ? axis : [axis];
  if (list.length !== w.rank || list.length < 2) return w;
  if (!(list.every(a => a >= 0) || list.every(a => a < 0))) {
    fail(owner, `axis ${describe(axis)} mixes negative and non-negative axes, so the order of ` +
                `gamma/beta's dims is unknown; give all axes non-negative`);
  }
  const order = list.map((a, i) => [a, i]).sort((p, q) => p[0] - q[0]).map(p => p[1]);
  return tf.reshape(w, order.map(i => w.shape[i]));
}

/**
 * Sets a built layer's weights from a framework's parameters, named as it
 * names them: 'pytorch'/'lucid'/'mlx' {weight, bias}, 'flax' {scale, bias},
 * 'keras'/'mxnet' {gamma, beta}.
 */
export function setFrameworkWeights(
    layer: tf.layers.Layer&{scale: boolean, center: boolean, axis: AxisArg},
    framework: 'pytorch'|'lucid'|'mlx'|'flax'|'keras'|'mxnet',
    weights: {[name: string]: Weight}): void {
  const owner = 'setFrameworkWeights';
  const names: {[fw: string]: [string, string]} = {
    pytorch: ['weight', 'bias'], lucid: ['weight', 'bias'], mlx: ['weight', 'bias'],
    flax: ['scale', 'bias'], keras: ['gamma', 'beta'], mxnet: ['gamma', 'beta'],
  };
  if (!(framework in names)) {
    fail(owner, `framework must be one of ${Object.keys(names).join(', ')}; got ${describe(framework)}`);
  }
  if (!layer.built) {
    fail(owner, `layer '${layer.name}' is not built yet: call it on an input (or build it) first`);
  }
  const values = initialWeights(
      owner, weights, names[framework], layer.scale, layer.center,
      framework === 'keras' ? w => toAscendingAxisOrder(owner, w, layer.axis) : undefined)!;
  try {
    layer.setWeights(values);
  } finally {
    tf.dispose(values);
  }
}
