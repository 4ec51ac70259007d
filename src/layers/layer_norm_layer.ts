/**
 * `LayerNorm`: MXNet Gluon's `nn.LayerNorm` as a TF.js layer, running the
 * `layerNorm` op (its fused kernels and gradient), serializable the way a
 * Python Keras custom layer of the same name would be.
 */
import * as tf from '@tensorflow/tfjs';

import {AxisArg, normalizeAxes} from '../layer_norm_util';
import {DEFAULT_EPSILON, layerNorm} from '../ops/layer_norm';
import {flaxLayerNormArgs, FlaxLayerNormArgs, FlaxLayerNormWeights, KerasLayerNormConfig, kerasLayerNormArgs, KerasLayerNormWeights, mlxLayerNormArgs, MLXLayerNormArgs, MLXLayerNormWeights, pytorchLayerNormArgs, PyTorchLayerNormArgs, PyTorchLayerNormWeights} from './ports';
import {Constraint, ConstraintIdentifier, describe, DTypePolicyConfig, getConstraint, getInitializer, getRegularizer, Initializer, InitializerIdentifier, layerDtype, Regularizer, RegularizerIdentifier, serializeKerasObject} from './keras_objects';

type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface LayerNormLayerArgs extends Omit<BaseLayerArgs, 'dtype'> {
  /**
   * Axes normalized together: an integer or an array of integers, negative
   * counting from the end. Default -1 (the last axis); MXNet's NCHW channel
   * normalization is `axis: 1`.
   */
  axis?: AxisArg;
  /** Added to the variance before the square root. Default 1e-5. */
  epsilon?: number;
  /**
   * Axes gamma and beta span (Flax's `feature_axes`), broadcast over the
   * others; null or absent: `axis`.
   */
  featureAxes?: AxisArg|null;
  /** Whether to add the learned offset `beta`. Default true. */
  center?: boolean;
  /** Whether to multiply by the learned scale `gamma`. Default true. */
  scale?: boolean;
  /** Default 'zeros'. */
  betaInitializer?: InitializerIdentifier;
  /** Default 'ones'. */
  gammaInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier;
  gammaRegularizer?: RegularizerIdentifier;
  betaConstraint?: ConstraintIdentifier;
  gammaConstraint?: ConstraintIdentifier;
  /**
   * Number of elements of gamma and beta (the product of the input's sizes
   * at featureAxes, by default at axis). 0 (default) defers it to the first
   * input; otherwise an input of another size is an error.
   */
  inChannels?: number;
  /** 'float32', or a Keras 3 DTypePolicy config naming float32. */
  dtype?: 'float32'|DTypePolicyConfig;
}

/** The base layer's arguments, and `customObjects`, which TF.js adds on load. */
const BASE_ARG_NAMES = [
  'name', 'trainable', 'dtype', 'inputShape', 'batchInputShape', 'batchSize',
  'inputDType', 'weights', 'customObjects',
];
const OWN_ARG_NAMES = [
  'axis', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer',
  'betaRegularizer', 'gammaRegularizer', 'betaConstraint', 'gammaConstraint',
  'featureAxes', 'inChannels',
];

/**
 * Checks the keys and dtype before the base class sees them: like Keras,
 * an unknown argument is an error rather than silently ignored (a typo in a
 * hand-edited model.json would otherwise load as a default).
 */
function checkedBaseArgs(args: LayerNormLayerArgs): BaseLayerArgs {
  if (args == null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(
        `LayerNorm: args must be an object; got ${describe(args)}`);
  }
  for (const key of Object.keys(args)) {
    if (!OWN_ARG_NAMES.includes(key) && !BASE_ARG_NAMES.includes(key)) {
      throw new Error(`LayerNorm: unknown argument '${key}'; expected ${
          [...OWN_ARG_NAMES, ...BASE_ARG_NAMES.slice(0, -1)].join(', ')}`);
    }
  }
  return {...args, dtype: layerDtype(args.dtype, 'LayerNorm')};
}

/** Marks the LayerNorm layers of every copy of this package in the process. */
const LAYER_NORM_BRAND = Symbol.for('tfjs-layernorm.LayerNorm');

export class LayerNorm extends tf.layers.Layer {
  /** @nocollapse */
  static className = 'LayerNorm';

  /**
   * `instanceof LayerNorm` also holds for layers made by another copy of
   * this package (its CommonJS and ES module builds loaded in one process).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value) ||
        (this === LayerNorm && typeof value === 'object' && value !== null &&
         (value as {[key: symbol]: unknown})[LAYER_NORM_BRAND] === true);
  }

  /** Ports with each framework's argument names and defaults, and optional weights (ports.ts). */
  static fromPyTorch(args: PyTorchLayerNormArgs, weights?: PyTorchLayerNormWeights): LayerNorm {
    return new LayerNorm(pytorchLayerNormArgs(args, weights));
  }
  static fromLucid(args: PyTorchLayerNormArgs, weights?: PyTorchLayerNormWeights): LayerNorm {
    return new LayerNorm(pytorchLayerNormArgs(args, weights, 'LayerNorm.fromLucid'));
  }
  static fromFlax(args?: FlaxLayerNormArgs, weights?: FlaxLayerNormWeights): LayerNorm {
    return new LayerNorm(flaxLayerNormArgs(args, weights));
  }
  static fromMLX(args: MLXLayerNormArgs, weights?: MLXLayerNormWeights): LayerNorm {
    return new LayerNorm(mlxLayerNormArgs(args, weights));
  }
  static fromKeras(config: KerasLayerNormConfig, weights?: KerasLayerNormWeights): LayerNorm {
    return new LayerNorm(kerasLayerNormArgs(config, weights));
  }

  readonly axis: AxisArg;
  readonly featureAxes: AxisArg|null;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly inChannels: number;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly betaRegularizer: Regularizer|null;
  readonly gammaRegularizer: Regularizer|null;
  readonly betaConstraint: Constraint|null;
  readonly gammaConstraint: Constraint|null;

  private gamma: tf.LayerVariable|null = null;
  private beta: tf.LayerVariable|null = null;
  /** Shape of gamma and beta, known once built. */
  private weightShape: number[]|null = null;

  constructor(args: LayerNormLayerArgs = {}) {
    super(checkedBaseArgs(args));
    const owner = 'LayerNorm';
    this.axis = checkAxis(args.axis ?? -1, 'axis');
    this.featureAxes = args.featureAxes == null ? null : checkAxis(args.featureAxes, 'featureAxes');
    this.epsilon = args.epsilon ?? DEFAULT_EPSILON;
    if (typeof this.epsilon !== 'number' || !Number.isFinite(this.epsilon) ||
        this.epsilon <= 0) {
      throw new Error(`${owner}: epsilon must be a finite number > 0; got ${
          describe(args.epsilon)}`);
    }
    this.center = checkBoolean(args.center ?? true, 'center');
    this.scale = checkBoolean(args.scale ?? true, 'scale');
    this.inChannels = args.inChannels ?? 0;
    if (!Number.isInteger(this.inChannels) || this.inChannels < 0) {
      throw new Error(`${owner}: inChannels must be a non-negative integer ` +
                      `(0 = taken from the first input); got ${
                          describe(args.inChannels)}`);
    }
    this.betaInitializer =
        getInitializer(args.betaInitializer ?? 'zeros', 'betaInitializer', owner);
    this.gammaInitializer = getInitializer(
        args.gammaInitializer ?? 'ones', 'gammaInitializer', owner);
    this.betaRegularizer =
        getRegularizer(args.betaRegularizer, 'betaRegularizer', owner);
    this.gammaRegularizer =
        getRegularizer(args.gammaRegularizer, 'gammaRegularizer', owner);
    this.betaConstraint =
        getConstraint(args.betaConstraint, 'betaConstraint', owner);
    this.gammaConstraint =
        getConstraint(args.gammaConstraint, 'gammaConstraint', owner);
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape|tf.Shape[]): void {
    const shape = oneShape(inputShape);
    const axes = this.resolveAxes(shape.length).featureAxes;
    let sizes = axes.map(a => shape[a]);
    if (sizes.some(s => s == null)) {
      if (this.inChannels > 0 && axes.length === 1) {
        sizes = [this.inChannels];  // MXNet's in_channels stands for it
      } else {
        throw new Error(`LayerNorm '${this.name}': the input's size at ${this.weightAxesName()} [${
            axes}] must be known to create gamma and beta (or give ` +
                        `inChannels for a single axis); got input shape [${
                            shape.map(String)}]`);
      }
    }
    const weightShape = sizes as number[];
    const size = weightShape.reduce((a, b) => a * b, 1);
    if (this.inChannels > 0 && size !== this.inChannels) {
      throw new Error(`LayerNorm '${this.name}': inChannels is ${
          this.inChannels} but the input of shape [${
          shape.map(String)}] has ${size} elements at ${this.weightAxesName()} [${axes}] (sizes [${
          weightShape}]); inChannels must be their product`);
    }
    this.weightShape = weightShape;
    this.gamma = this.scale ?
        this.addParameter(
            'gamma', this.gammaInitializer, this.gammaRegularizer,
            this.gammaConstraint) :
        null;
    this.beta = this.center ?
        this.addParameter(
            'beta', this.betaInitializer, this.betaRegularizer,
            this.betaConstraint) :
        null;
    this.built = true;
  }

  override call(inputs: tf.Tensor|tf.Tensor[], kwargs: {}): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      const {axis, featureAxes} = this.checkInputShape(x.shape);
      return layerNorm(
          x, this.gamma == null ? null : this.gamma.read(),
          this.beta == null ? null : this.beta.read(),
          {axis, featureAxes, epsilon: this.epsilon});
    });
  }

  override computeOutputShape(inputShape: tf.Shape|tf.Shape[]): tf.Shape {
    const shape = oneShape(inputShape);
    if (this.built) {
      this.checkInputShape(shape);
    }
    return shape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      axis: Array.isArray(this.axis) ? [...this.axis] : this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeKerasObject(this.betaInitializer),
      gammaInitializer: serializeKerasObject(this.gammaInitializer),
      betaRegularizer: serializeKerasObject(this.betaRegularizer),
      gammaRegularizer: serializeKerasObject(this.gammaRegularizer),
      betaConstraint: serializeKerasObject(this.betaConstraint),
      gammaConstraint: serializeKerasObject(this.gammaConstraint),
      inChannels: this.inChannels,
      featureAxes: Array.isArray(this.featureAxes) ? [...this.featureAxes] : this.featureAxes,
    };
    return {...config, ...super.getConfig()};
  }

  /** The argument that gamma and beta span. */
  private weightAxesName(): string {
    return this.featureAxes == null ? 'axis' : 'featureAxes';
  }

  private resolveAxes(rank: number): {axis: number[], featureAxes: number[]} {
    try {
      const axis = normalizeAxes(this.axis, rank);
      const featureAxes = this.featureAxes == null ?
          axis : normalizeAxes(this.featureAxes, rank, 'featureAxes', true);
      return {axis, featureAxes};
    } catch (e) {
      throw new Error(`LayerNorm '${this.name}': ${
          (e as Error).message.replace(/^layerNorm: /, '')}`);
    }
  }

  /**
   * An input after the first must have the sizes gamma and beta were made
   * for; returns its normalized axes.
   */
  private checkInputShape(shape: tf.Shape): {axis: number[], featureAxes: number[]} {
    const resolved = this.resolveAxes(shape.length);
    const axes = resolved.featureAxes;
    const sizes = axes.map(a => shape[a]);
    const expected = this.weightShape;
    const matches = expected == null ||
        (sizes.length === expected.length &&
         sizes.every((s, i) => s == null || s === expected[i]));
    if (!matches) {
      const fixedBy = this.inChannels > 0 ?
          `inChannels = ${this.inChannels} elements, sizes [${expected}]` :
          `sizes [${expected}] (from its first input)`;
      throw new Error(`LayerNorm '${this.name}': the layer normalizes ${
          fixedBy} but the input of shape [${shape.map(String)}] has sizes [${
          sizes.map(String)}] at ${this.weightAxesName()} [${axes}]`);
    }
    return resolved;
  }

  private addParameter(
      name: 'gamma'|'beta', initializer: Initializer,
      regularizer: Regularizer|null, constraint: Constraint|null):
      tf.LayerVariable {
    const shape = this.weightShape as number[];
    const variable = this.addWeight(
        name, shape, 'float32', initializer, regularizer ?? undefined, true,
        constraint ?? undefined);
    // Loading weights (model.loadWeights) writes through here, and TF.js's
    // own check would only say "Shape mismatch"; name the weight instead.
    const write = variable.write.bind(variable);
    variable.write = (value: tf.Tensor) => {
      if (!tf.util.arraysEqual(value.shape, shape)) {
        throw new Error(`LayerNorm '${this.name}': weight '${
            variable.originalName}' must have shape [${
            shape}] (the input's sizes at ${this.weightAxesName()} ${
            JSON.stringify(this.featureAxes ?? this.axis)}); got [${value.shape}]`);
      }
      return write(value);
    };
    return variable;
  }
}
Object.defineProperty(LayerNorm.prototype, LAYER_NORM_BRAND, {value: true});
tf.serialization.registerClass(LayerNorm);

/**
 * Creates a `LayerNorm` layer, in the style of `tf.layers.*`:
 * `layerNormLayer({axis: 1})` normalizes the channels of an NCHW tensor.
 */
export function layerNormLayer(args?: LayerNormLayerArgs): LayerNorm {
  return new LayerNorm(args);
}

function checkAxis(axis: unknown, name: 'axis'|'featureAxes'): AxisArg {
  const list = Array.isArray(axis) ? axis : [axis];
  if ((list.length === 0 && name === 'axis') ||
      !list.every(a => typeof a === 'number' && Number.isInteger(a))) {
    throw new Error(`LayerNorm: ${name} must be an integer or a${
        name === 'axis' ? ' non-empty' : 'n'} array of integers; got ${describe(axis)}`);
  }
  return Array.isArray(axis) ? [...axis] : axis as number;
}

function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') {
    throw new Error(
        `LayerNorm: ${name} must be true or false; got ${describe(value)}`);
  }
  return value;
}

function oneShape(shape: tf.Shape|tf.Shape[]): tf.Shape {
  if (shape.length > 0 && shape.every(Array.isArray)) {
    return oneOf(shape as tf.Shape[]);
  }
  return shape as tf.Shape;
}

function oneTensor(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? oneOf(inputs) : inputs;
}

function oneOf<T>(list: T[]): T {
  if (list.length !== 1) {
    throw new Error(`LayerNorm takes exactly one input; got ${list.length}`);
  }
  return list[0];
}
