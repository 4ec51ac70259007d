/**
 * Ports from other frameworks' LayerNorm: each maps that framework's
 * constructor arguments (camelCase) and defaults onto `LayerNormLayerArgs`,
 * and its parameter names and layouts onto our `gamma` and `beta`.
 */
import * as tf from '@tensorflow/tfjs';

import {AxisArg, describeValue, EPSILON_FORM, isAcceptedEpsilon} from '../layer_norm_util';
import {describe} from './keras_objects';
import type {LayerNorm, LayerNormLayerArgs} from './layer_norm_layer';

type PortedArgs = LayerNormLayerArgs;

/**
 * What a port tells the layer about the framework it came from, so that
 * the layer's errors speak that framework's names; not part of the config.
 */
export interface PortOrigin {
  /** Who the user called: 'LayerNorm.fromPyTorch'. */
  owner: string;
  /** The framework's names of gamma and beta. */
  weightNames: [string, string];
  /** The framework's names of `axis` and `featureAxes`. */
  axisName: string;
  featureAxesName: string;
  /** Trailing sizes the framework's arguments fix (PyTorch's normalizedShape, MLX's dims). */
  sizes?: {name: string, value: unknown, sizes: number[]};
  /**
   * Keras: gamma/beta shaped by the axis list as given (tf-keras) or sorted
   * (Keras 3); both read them as a flat list in ascending axis order.
   */
  kerasLayouts?: boolean;
  /** The parameters, owned by the layer until applied (then disposed). */
  weights?: PortWeights;
}

/** gamma and beta as owned float32 tensors, in the framework's shapes. */
export interface PortWeights {
  gamma?: tf.Tensor;
  beta?: tf.Tensor;
}

/** Where a port puts its PortOrigin in the layer args (a symbol: no config key). */
export const PORT_ORIGIN = Symbol('tfjs-layernorm.portOrigin');
export type PortedLayerArgs = LayerNormLayerArgs&{[PORT_ORIGIN]?: PortOrigin};

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

function checkKeys(owner: string, args: unknown, own: string[], what = 'args'):
    {[key: string]: unknown} {
  if (args == null || typeof args !== 'object' || Array.isArray(args)) {
    fail(owner, `${what} must be an object; got ${describe(args)}`);
  }
  const allowed = what === 'args' ? [...own, ...LAYER_ARG_NAMES] : own;
  for (const key of Object.keys(args as object)) {
    if (!allowed.includes(key)) {
      fail(owner, `unknown ${what === 'args' ? 'argument' : `key of ${what}`} '${key}'; expected ${
          allowed.join(', ')}`);
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

/** An epsilon as the framework accepts it: >= 0, or > 0 where it refuses 0 (`refusesZero`). */
function epsilonArg(owner: string, name: string, value: unknown, byDefault: number,
                    refusesZero?: string): number {
  if (value === undefined) return byDefault;
  if (refusesZero != null && value === 0) {
    fail(owner, `${name} must be a finite number > 0 (${refusesZero} refuses 0); got 0`);
  }
  if (!isAcceptedEpsilon(value)) {
    fail(owner, `${name} must be ${EPSILON_FORM}; got ${describeValue(value)}`);
  }
  return value;
}

/**
 * An axis argument as given; signs may mix (resolved against the input's
 * rank when the layer is built, where [-1, 3] of a rank-4 input is refused
 * as naming axis 3 twice).
 */
function axisArg(owner: string, name: string, value: unknown, byDefault: AxisArg): AxisArg {
  if (value === undefined) return byDefault;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every(a => Number.isInteger(a))) {
    fail(owner, `${name} must be an integer or a non-empty array of integers; got ${describe(value)}`);
  }
  const repeated = list.find((a, i) => list.indexOf(a) !== i);
  if (repeated !== undefined) {
    fail(owner, `${name} must hold distinct axes; ${describe(value)} names ${repeated} twice`);
  }
  return Array.isArray(value) ? [...value] : value as number;
}

function float32Only(owner: string, name: string, value: unknown) {
  if (value != null && value !== 'float32' && value !== 'torch.float32') {
    fail(owner, `${name} must be 'float32' (TF.js layers compute in float32); got ${describe(value)}`);
  }
}

/**
 * A framework's parameters named `names` ([gamma's, beta's]) as owned
 * float32 tensors; exactly those `held` must be given, of `shape` where the
 * framework's arguments fix it. Leaks nothing when it throws.
 */
function takeWeights(
    owner: string, weights: unknown, names: [string, string], held: [boolean, boolean],
    shape?: {sizes: number[], how: string}): PortWeights|undefined {
  if (weights === undefined) return undefined;
  const given = checkKeys(owner, weights, names, 'weights');
  const expected = names.filter((_, i) => held[i]);
  for (const name of names) {
    const has = given[name] != null;
    if (has !== expected.includes(name)) {
      fail(owner, `weights must hold exactly ${
          expected.length ? expected.map(n => `'${n}'`).join(' and ') : 'nothing'} for these ` +
          `arguments; ${has ? `got '${name}' too` : `'${name}' is missing`}`);
    }
  }
  const out: PortWeights = {};
  try {
    (['gamma', 'beta'] as const).forEach((param, i) => {
      if (!held[i]) return;
      const t = out[param] = ownedFloat32(owner, `weights.${names[i]}`, given[names[i]]);
      if (shape && !tf.util.arraysEqual(t.shape, shape.sizes)) {
        fail(owner, `weights.${names[i]} must have shape [${shape.sizes}] (${shape.how}); got [${
            t.shape}]`);
      }
    });
  } catch (e) {
    tf.dispose(Object.values(out));
    throw e;
  }
  return out;
}

/** A copy of a tensor or nested array as float32 (int32 converted), or an error naming `name`. */
function ownedFloat32(owner: string, name: string, value: unknown): tf.Tensor {
  const form = `a float32 tf.Tensor or a nested array of numbers`;
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) fail(owner, `${name} is a disposed tensor`);
    if (value.dtype !== 'float32' && value.dtype !== 'int32') {
      fail(owner, `${name} must be ${form}; got a ${value.dtype} tensor`);
    }
    return tf.cast(value, 'float32');
  }
  const numbers = typeof value === 'number' || ArrayBuffer.isView(value) ||
      (Array.isArray(value) && tf.util.flatten(value as number[]).every(v => typeof v === 'number'));
  if (!numbers) fail(owner, `${name} must be ${form}; got ${describe(value)}`);
  try {
    return tf.tensor(value as tf.TensorLike, undefined, 'float32');
  } catch (e) {
    return fail(owner, `${name} must be ${form}; got ${describe(value)} (${(e as Error).message})`);
  }
}

function withOrigin(args: PortedArgs, origin: PortOrigin): PortedLayerArgs {
  return {...args, [PORT_ORIGIN]: origin};
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
  const sizes = shape as number[];
  const axis = sizes.length === 1 ? -1 : sizes.map((_, i) => i - sizes.length);
  const out = {
    ...layerArgs(a), axis, epsilon: epsilonArg(owner, 'eps', a.eps, PYTORCH_DEFAULT_EPS),
    center, scale, inChannels: sizes.reduce((p, s) => p * s, 1),
  };
  return withOrigin(out, {
    owner, weightNames: ['weight', 'bias'], axisName: 'normalizedShape',
    featureAxesName: 'normalizedShape',
    sizes: {name: 'normalizedShape', value: a.normalizedShape, sizes},
    weights: takeWeights(owner, weights, ['weight', 'bias'], [scale, center],
                         {sizes, how: 'normalizedShape'}),
  });
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
    ...layerArgs(a), axis, epsilon: epsilonArg(owner, 'epsilon', a.epsilon, FLAX_DEFAULT_EPSILON),
    center, scale,
  };
  // Flax's feature_axes defaults to -1 whatever reduction_axes is.
  if (!sameAxes(axis, featureAxes)) out.featureAxes = featureAxes;
  return withOrigin(out, {
    owner, weightNames: ['scale', 'bias'], axisName: 'reductionAxes', featureAxesName: 'featureAxes',
    weights: takeWeights(owner, weights, ['scale', 'bias'], [scale, center]),
  });
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
  const dims = a.dims as number;
  const out = {
    ...layerArgs(a), axis: -1, epsilon: epsilonArg(owner, 'eps', a.eps, MLX_DEFAULT_EPS, 'mlx.nn.LayerNorm'),
    center, scale, inChannels: dims,
  };
  return withOrigin(out, {
    owner, weightNames: ['weight', 'bias'], axisName: 'dims', featureAxesName: 'dims',
    sizes: {name: 'dims', value: dims, sizes: [dims]},
    weights: takeWeights(owner, weights, ['weight', 'bias'], [scale, center],
                         {sizes: [dims], how: 'dims'}),
  });
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
 * epsilon 1e-3. `gamma`/`beta` keep their names; tf-keras shapes them by
 * the axis list as given, Keras 3 by the list sorted, and both read them as
 * a flat list in ascending axis order: either layout is accepted and
 * reshaped to this layer's (ascending) one. Keras 3's `rms_scaling: true`
 * (x · rsqrt(var + ε) · γ, gamma always, no beta) is `rmsScaling`.
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
  const rmsScaling = bool(owner, 'rms_scaling', c.rmsScaling, false);
  const axis = axisArg(owner, 'axis', c.axis, -1);
  // Keras 3 with rms_scaling creates gamma whatever scale says, and no beta.
  const scale = bool(owner, 'scale', c.scale, true) || rmsScaling;
  const center = bool(owner, 'center', c.center, true) && !rmsScaling;
  const out: {[key: string]: unknown} = {
    axis, epsilon: epsilonArg(owner, 'epsilon', c.epsilon, KERAS_DEFAULT_EPSILON), center, scale,
  };
  if (rmsScaling) out.rmsScaling = true;
  for (const k of ['name', 'trainable', 'dtype', 'batchInputShape', 'inputShape', 'batchSize']) {
    if (c[k] != null) out[k] = k === 'dtype' ? tfjsObject(c[k]) : c[k];
  }
  // Keras ignores the initializer, regularizer and constraint of a parameter it does not create
  // (here a disabled one with an initializer other than the identity would be kept, frozen).
  const kept = {beta: center, gamma: scale};
  for (const param of ['beta', 'gamma'] as const) {
    for (const k of [`${param}Initializer`, `${param}Regularizer`, `${param}Constraint`]) {
      if (c[k] != null && kept[param]) out[k] = tfjsObject(c[k]);
    }
  }
  return withOrigin(out as PortedArgs, {
    owner, weightNames: ['gamma', 'beta'], axisName: 'axis', featureAxesName: 'axis',
    kerasLayouts: true, weights: takeWeights(owner, weights, ['gamma', 'beta'], [scale, center]),
  });
}

/** Each framework's names of gamma and beta (a Map: no Object.prototype keys). */
const FRAMEWORK_WEIGHT_NAMES = new Map<string, [string, string]>([
  ['pytorch', ['weight', 'bias']], ['lucid', ['weight', 'bias']], ['mlx', ['weight', 'bias']],
  ['flax', ['scale', 'bias']], ['keras', ['gamma', 'beta']], ['mxnet', ['gamma', 'beta']],
]);

/**
 * Sets a built layer's weights from a framework's parameters, named as it
 * names them: 'pytorch'/'lucid'/'mlx' {weight, bias}, 'flax' {scale, bias},
 * 'keras'/'mxnet' {gamma, beta} (Keras: in tf-keras' or Keras 3's layout).
 * Exactly the parameters the layer holds (MXNet-style frozen ones included)
 * must be given; keeps no tensor.
 */
export function setFrameworkWeights(
    layer: LayerNorm, framework: 'pytorch'|'lucid'|'mlx'|'flax'|'keras'|'mxnet',
    weights: {[name: string]: Weight}): void {
  const owner = 'setFrameworkWeights';
  const names = typeof framework === 'string' ? FRAMEWORK_WEIGHT_NAMES.get(framework) : undefined;
  if (names === undefined) {
    fail(owner, `framework must be one of ${[...FRAMEWORK_WEIGHT_NAMES.keys()].map(n => `'${n}'`)
                                                .join(', ')}; got ${describe(framework)}`);
  }
  if (layer == null || typeof (layer as Partial<LayerNorm>).applyFrameworkWeights !== 'function') {
    fail(owner, `layer must be a LayerNorm; got ${describe(layer)}`);
  }
  if (!layer.built) {
    fail(owner, `layer '${layer.name}' is not built yet: call it on an input (or build it) first`);
  }
  layer.applyFrameworkWeights({
    owner, weightNames: names, axisName: 'axis', featureAxesName: 'featureAxes',
    kerasLayouts: framework === 'keras',
    weights: takeWeights(owner, weights ?? null, names, layer.heldParameters()),
  });
}
