/**
 * `LayerNorm`: MXNet Gluon's `nn.LayerNorm` as a TF.js layer, running the
 * `layerNorm` op (its fused kernels and gradient), serializable the way a
 * Python Keras custom layer of the same name would be.
 */
import * as tf from '@tensorflow/tfjs';

import {AxisArg, checkEpsilon, normalizeAxes} from '../layer_norm_util';
import {DEFAULT_EPSILON, layerNorm, layerNormWithStats} from '../ops/layer_norm';
import {flaxLayerNormArgs, FlaxLayerNormArgs, FlaxLayerNormWeights, KerasLayerNormConfig, kerasLayerNormArgs, KerasLayerNormWeights, mlxLayerNormArgs, MLXLayerNormArgs, MLXLayerNormWeights, PORT_ORIGIN, PortedLayerArgs, PortOrigin, PortWeights, pytorchLayerNormArgs, PyTorchLayerNormArgs, PyTorchLayerNormWeights} from './ports';
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
  /**
   * Whether to add the learned offset `beta`. Default true. False with a
   * `betaInitializer` other than zeros keeps `beta` as Gluon does: a frozen
   * (non-trainable) weight at its initial value, still added.
   */
  center?: boolean;
  /**
   * Whether to multiply by the learned scale `gamma`. Default true. False
   * with a `gammaInitializer` other than ones keeps a frozen `gamma`, as
   * `center` does `beta`.
   */
  scale?: boolean;
  /**
   * Keras 3's `rms_scaling`: `y = x * rsqrt(var + epsilon) * gamma + beta`,
   * x not centered (its variance is). Default false.
   */
  rmsScaling?: boolean;
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
  'rmsScaling', 'featureAxes', 'inChannels',
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

  /**
   * Ports with each framework's argument names and defaults, and optional
   * weights under its names (ports.ts), applied and released on build.
   */
  static fromPyTorch(args: PyTorchLayerNormArgs, weights?: PyTorchLayerNormWeights): LayerNorm {
    return LayerNorm.ported(pytorchLayerNormArgs(args, weights));
  }
  static fromLucid(args: PyTorchLayerNormArgs, weights?: PyTorchLayerNormWeights): LayerNorm {
    return LayerNorm.ported(pytorchLayerNormArgs(args, weights, 'LayerNorm.fromLucid'));
  }
  static fromFlax(args?: FlaxLayerNormArgs, weights?: FlaxLayerNormWeights): LayerNorm {
    return LayerNorm.ported(flaxLayerNormArgs(args, weights));
  }
  static fromMLX(args: MLXLayerNormArgs, weights?: MLXLayerNormWeights): LayerNorm {
    return LayerNorm.ported(mlxLayerNormArgs(args, weights));
  }
  static fromKeras(config: KerasLayerNormConfig, weights?: KerasLayerNormWeights): LayerNorm {
    return LayerNorm.ported(kerasLayerNormArgs(config, weights));
  }

  private static ported(args: PortedLayerArgs): LayerNorm {
    try {
      return new LayerNorm(args);
    } catch (e) {
      tf.dispose(Object.values(args[PORT_ORIGIN]?.weights ?? {}));
      throw e;
    }
  }

  readonly axis: AxisArg;
  readonly featureAxes: AxisArg|null;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly rmsScaling: boolean;
  readonly inChannels: number;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly betaRegularizer: Regularizer|null;
  readonly gammaRegularizer: Regularizer|null;
  readonly betaConstraint: Constraint|null;
  readonly gammaConstraint: Constraint|null;

  private gamma: tf.LayerVariable|null = null;
  private beta: tf.LayerVariable|null = null;
  /** Shape of gamma and beta, and the input's rank, known once built. */
  private weightShape: number[]|null = null;
  private inputRank = 0;
  /** The framework a port made this layer from (its names for messages), or null. */
  private readonly origin: PortOrigin|null;
  /** The port's weights until the build applies (and disposes) them. */
  private pendingWeights: PortWeights|null;

  constructor(args: LayerNormLayerArgs = {}) {
    super(checkedBaseArgs(args));
    const owner = 'LayerNorm';
    const origin = (args as PortedLayerArgs)[PORT_ORIGIN];
    this.origin = origin == null ? null : {...origin, weights: undefined};
    this.pendingWeights = origin?.weights ?? null;
    this.axis = checkAxis(args.axis ?? -1, 'axis');
    this.featureAxes = args.featureAxes == null ? null : checkAxis(args.featureAxes, 'featureAxes');
    this.epsilon = args.epsilon ?? DEFAULT_EPSILON;
    checkEpsilon(this.epsilon, owner);
    this.center = checkBoolean(args.center ?? true, 'center');
    this.scale = checkBoolean(args.scale ?? true, 'scale');
    this.rmsScaling = checkBoolean(args.rmsScaling ?? false, 'rmsScaling');
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
    const pending = this.pendingWeights;
    this.pendingWeights = null;
    try {
      this.buildWith(oneShape(inputShape), pending);
    } finally {
      tf.dispose(Object.values(pending ?? {}));
    }
  }

  private buildWith(shape: tf.Shape, pending: PortWeights|null) {
    this.checkPortSizes(shape);
    const axes = this.resolveAxes(shape.length).featureAxes;
    let sizes = axes.map(a => shape[a]);
    if (sizes.some(s => s == null)) {
      if (this.inChannels > 0 && axes.length === 1) {
        sizes = [this.inChannels];  // MXNet's in_channels stands for it
      } else {
        throw new Error(`${this.where()}: the input's size at ${this.weightAxesName()} [${
            axes}] must be known to create gamma and beta (or give ` +
                        `inChannels for a single axis); got input shape [${
                            shape.map(String)}]`);
      }
    }
    const weightShape = sizes as number[];
    const size = weightShape.reduce((a, b) => a * b, 1);
    if (this.inChannels > 0 && size !== this.inChannels) {
      throw new Error(`${this.where()}: inChannels is ${
          this.inChannels} but the input of shape [${
          shape.map(String)}] has ${size} elements at ${this.weightAxesName()} [${axes}] (sizes [${
          weightShape}]); inChannels must be their product`);
    }
    this.weightShape = weightShape;
    this.inputRank = shape.length;
    // Checked before any variable exists, so a refused weight leaks nothing.
    const values = pending == null ? {} : this.portValues(this.origin!, pending);
    try {
      this.gamma = this.parameter('gamma', this.scale);
      this.beta = this.parameter('beta', this.center);
      this.writeValues(values);
    } finally {
      tf.dispose(Object.values(values));
    }
    this.built = true;
  }

  /**
   * Which of gamma and beta the built layer holds (frozen ones included):
   * what setFrameworkWeights expects.
   * @hidden
   */
  heldParameters(): [boolean, boolean] {
    return [this.gamma != null, this.beta != null];
  }

  /**
   * Sets gamma/beta from parameters under a framework's names after build
   * (setFrameworkWeights), with the origin's names in errors; disposes them.
   * @hidden
   */
  applyFrameworkWeights(origin: PortOrigin): void {
    const given = origin.weights ?? {};
    try {
      const values = this.portValues(origin, given);
      try {
        this.writeValues(values);
      } finally {
        tf.dispose(Object.values(values));
      }
    } finally {
      tf.dispose(Object.values(given));
    }
  }

  /**
   * The framework's gamma/beta reshaped to this layer's weight shape, after
   * checking each has a shape the framework stores it in.
   */
  private portValues(origin: PortOrigin, given: PortWeights): PortWeights {
    const {shapes, how} = this.frameworkLayouts(origin);
    const params = ['gamma', 'beta'] as const;
    params.forEach((param, i) => {
      const t = given[param];
      const name = `weights.${origin.weightNames[i]}`;
      if (t == null) return;
      if (t.isDisposed) {
        throw new Error(`${origin.owner}: ${name} was already applied to another layer ` +
                        `(disposed); give each layer its own`);
      }
      if (!shapes.some(s => tf.util.arraysEqual(s, t.shape))) {
        throw new Error(`${origin.owner}: ${name} must have shape ${
            shapes.map(s => `[${s}]`).join(' or ')} (${how}); got [${t.shape}]`);
      }
    });
    const out: PortWeights = {};
    for (const param of params) {
      const t = given[param];
      if (t != null) out[param] = tf.reshape(t, this.weightShape!);
    }
    return out;
  }

  /**
   * The shapes a framework stores gamma/beta in: this layer's, and for Keras
   * with an axis list also tf-keras' (sizes in the list's order) and Keras
   * 3's (in the order of the list sorted); both read them flat in ascending
   * axis order, so each is reshaped without moving elements.
   */
  private frameworkLayouts(origin: PortOrigin): {shapes: number[][], how: string} {
    const shape = this.weightShape!;
    const axes = JSON.stringify(this.featureAxes ?? this.axis);
    const own = `the input's sizes at ${this.weightAxesName(origin)} ${axes}`;
    if (!origin.kerasLayouts || this.featureAxes != null || !Array.isArray(this.axis) ||
        this.axis.length < 2) {
      return {shapes: [shape], how: own};
    }
    const rank = this.inputRank;
    const ascending = normalizeAxes(this.axis, rank);
    const sizeAt = (a: number) => shape[ascending.indexOf(a < 0 ? a + rank : a)];
    const shapes = [shape];
    for (const order of [this.axis, [...this.axis].sort((p, q) => p - q)]) {
      const candidate = order.map(sizeAt);
      if (!shapes.some(s => tf.util.arraysEqual(s, candidate))) shapes.push(candidate);
    }
    return {shapes, how: `${own} in ascending axis order, in the list's order (tf-keras) or ` +
                         `in the list's sorted order (Keras 3)`};
  }

  private writeValues(values: PortWeights) {
    if (values.gamma != null) this.gamma!.write(values.gamma);
    if (values.beta != null) this.beta!.write(values.beta);
  }

  override call(inputs: tf.Tensor|tf.Tensor[], kwargs: {}): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      const {axis, featureAxes} = this.checkInputShape(x.shape);
      const gamma = this.gamma == null ? null : this.gamma.read();
      const beta = this.beta == null ? null : this.beta.read();
      if (!this.rmsScaling) {
        return layerNorm(x, gamma, beta, {axis, featureAxes, epsilon: this.epsilon});
      }
      // No kernel has Keras 3's rms_scaling (x not centered): the fused op
      // gives invStd (and its gradient), the rest is plain TF.js ops.
      const {invStd} = layerNormWithStats(x, null, null, {axis, epsilon: this.epsilon});
      const broadcast = x.shape.map((d, i) => featureAxes.includes(i) ? d : 1);
      let y = tf.mul(tf.cast(x, 'float32'), invStd);
      if (gamma != null) y = tf.mul(y, tf.reshape(gamma, broadcast));
      if (beta != null) y = tf.add(y, tf.reshape(beta, broadcast));
      return y;
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
    // Written only when set, so other configs stay as the Python twin reads them.
    if (this.rmsScaling) config.rmsScaling = true;
    return {...config, ...super.getConfig()};
  }

  /** Who errors name: the port the user called, or this layer. */
  private where(): string {
    return this.origin == null ? `LayerNorm '${this.name}'` :
                                 `${this.origin.owner} (layer '${this.name}')`;
  }

  /** The argument that gamma and beta span, in the vocabulary of `origin`. */
  private weightAxesName(origin = this.origin): string {
    if (origin == null) return this.featureAxes == null ? 'axis' : 'featureAxes';
    return this.featureAxes == null ? origin.axisName : origin.featureAxesName;
  }

  /** PyTorch's normalizedShape and MLX's dims fix the input's trailing sizes. */
  private checkPortSizes(shape: tf.Shape) {
    const fixed = this.origin?.sizes;
    if (fixed == null) return;
    const n = fixed.sizes.length;
    const tail = shape.slice(Math.max(0, shape.length - n));
    if (shape.length < n || tail.some((d, i) => d != null && d !== fixed.sizes[i])) {
      throw new Error(`${this.where()}: ${fixed.name} ${describe(fixed.value)} must equal the ` +
                      `input's last ${n === 1 ? 'size' : `${n} sizes`}; got an input of shape [${
                          shape.map(String)}]`);
    }
  }

  private resolveAxes(rank: number): {axis: number[], featureAxes: number[]} {
    const origin = this.origin;
    try {
      const axis = normalizeAxes(this.axis, rank, origin?.axisName ?? 'axis');
      const featureAxes = this.featureAxes == null ?
          axis : normalizeAxes(this.featureAxes, rank, origin?.featureAxesName ?? 'featureAxes', true);
      return {axis, featureAxes};
    } catch (e) {
      throw new Error(`${this.where()}: ${(e as Error).message.replace(/^layerNorm: /, '')}`);
    }
  }

  /**
   * An input after the first must have the sizes gamma and beta were made
   * for; returns its normalized axes.
   */
  private checkInputShape(shape: tf.Shape): {axis: number[], featureAxes: number[]} {
    this.checkPortSizes(shape);
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
      throw new Error(`${this.where()}: the layer normalizes ${
          fixedBy} but the input of shape [${shape.map(String)}] has sizes [${
          sizes.map(String)}] at ${this.weightAxesName()} [${axes}]`);
    }
    return resolved;
  }

  /**
   * gamma or beta: learned when enabled; when disabled, a frozen weight at
   * its initializer's value (Gluon's grad_req='null') unless that value is
   * the identity (ones, zeros), which adds no weight (files of layers with
   * center/scale off and default initializers stay as they were).
   */
  private parameter(name: 'gamma'|'beta', enabled: boolean): tf.LayerVariable|null {
    const [initializer, regularizer, constraint] = name === 'gamma' ?
        [this.gammaInitializer, this.gammaRegularizer, this.gammaConstraint] :
        [this.betaInitializer, this.betaRegularizer, this.betaConstraint];
    if (enabled) return this.addParameter(name, initializer, regularizer, constraint, true);
    if (isIdentity(initializer, name === 'gamma' ? 1 : 0)) return null;
    return this.addParameter(name, initializer, null, null, false);
  }

  private addParameter(
      name: 'gamma'|'beta', initializer: Initializer,
      regularizer: Regularizer|null, constraint: Constraint|null, trainable: boolean):
      tf.LayerVariable {
    const shape = this.weightShape as number[];
    const variable = this.addWeight(
        name, shape, 'float32', initializer, regularizer ?? undefined, trainable,
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

/** Whether an initializer fills with `value` (Zeros, Ones or a Constant of it). */
function isIdentity(initializer: Initializer, value: 0|1): boolean {
  const className = initializer.getClassName();
  if (className === (value === 0 ? 'Zeros' : 'Ones')) return true;
  return className === 'Constant' && (initializer.getConfig() as {value?: unknown}).value === value;
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
