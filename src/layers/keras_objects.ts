/**
 * Initializers, regularizers, constraints and dtypes given to a layer as
 * identifiers, objects or serialized configs, resolved through TF.js's
 * public API only (its own `getInitializer` & co. are internal, and the
 * browser bundles reach TF.js only through the `tf` global).
 */
import * as tf from '@tensorflow/tfjs';

export type Initializer = ReturnType<typeof tf.initializers.ones>;
export type Regularizer = ReturnType<typeof tf.regularizers.l1l2>;
export type Constraint = ReturnType<typeof tf.constraints.nonNeg>;

/** A serialized Keras object, as `getConfig` writes and model.json holds. */
export interface SerializedKerasObject {
  className: string;
  config: tf.serialization.ConfigDict;
}

export type InitializerIdentifier = string|Initializer|SerializedKerasObject;
export type RegularizerIdentifier = string|Regularizer|SerializedKerasObject;
export type ConstraintIdentifier = string|Constraint|SerializedKerasObject;

/** A Keras 3 dtype policy as it appears in a layer config. */
export interface DTypePolicyConfig {
  className: string;
  config: {name: string};
}

interface Kind<T> {
  /** What the argument holds, for messages: 'an initializer'. */
  noun: string;
  /** The base class TF.js does not export; taken from one of its subclasses. */
  base: Function;
  /** Factories by name, keyed by the name lowercased without underscores. */
  factories: Map<string, (args: {}) => T>;
  examples: string;
}

function kind<T>(
    noun: string, sample: T, namespace: {[name: string]: Function},
    examples: string): Kind<T> {
  const factories = new Map<string, (args: {}) => T>();
  for (const [name, factory] of Object.entries(namespace)) {
    factories.set(
        name.toLowerCase(), factory as unknown as (args: {}) => T);
  }
  // Each sample's class extends the kind's base class directly.
  const base = Object.getPrototypeOf((sample as {}).constructor) as Function;
  return {noun, base, factories, examples};
}

const INITIALIZER = kind<Initializer>(
    'an initializer', tf.initializers.zeros(), tf.initializers,
    `'zeros', 'ones', 'glorotUniform' or 'random_normal'`);
const REGULARIZER = kind<Regularizer>(
    'a regularizer', tf.regularizers.l1l2(), tf.regularizers,
    `'l1', 'l2' or 'l1l2'`);
const CONSTRAINT = kind<Constraint>(
    'a constraint', tf.constraints.nonNeg(), tf.constraints,
    `'nonNeg', 'maxNorm' or 'unit_norm'`);

/**
 * Keras writes `L1` and `L2` regularizer classes; TF.js has only `L1L2`.
 * Their configs are the L1L2 config with one of the two factors.
 */
const KERAS_ONLY_CLASSES: {[className: string]: (config: {}) => unknown} = {
  L1: config => tf.regularizers.l1(config as {l1: number}),
  L2: config => tf.regularizers.l2(config as {l2: number}),
};

function resolve<T>(
    what: Kind<T>, value: unknown, argName: string, owner: string): T|null {
  const expected = `${what.noun} name such as ${what.examples}, ${
      what.noun} object, or a serialized {className, config}`;
  const fail = (detail: string) =>
      new Error(`${owner}: ${argName} must be ${expected}; ${detail}`);
  if (value == null) {
    return null;
  }
  let result: unknown;
  if (typeof value === 'string') {
    // TF.js names ('glorotUniform'), Keras names ('glorot_uniform') and class
    // names ('GlorotUniform') all reduce to the same key.
    const factory = what.factories.get(value.replace(/_/g, '').toLowerCase());
    if (factory == null) {
      throw fail(`got unknown name '${value}'`);
    }
    result = factory({});
  } else if (value instanceof what.base) {
    result = value;
  } else if (isSerialized(value)) {
    const entry =
        tf.serialization.SerializationMap.getMap().classNameMap[value.className];
    if (entry != null) {
      const [cls, fromConfig] = entry;
      // Checked before constructing: a layer's class name must not build one.
      if (!(cls.prototype instanceof what.base)) {
        throw fail(`got className '${value.className}', which is not ${
            what.noun}`);
      }
      result = fromConfig(cls, {...value.config});
    } else if (value.className in KERAS_ONLY_CLASSES) {
      result = KERAS_ONLY_CLASSES[value.className]({...value.config});
    } else {
      throw fail(`got unknown className '${value.className}'`);
    }
  } else {
    throw fail(`got ${describe(value)}`);
  }
  if (!(result instanceof what.base)) {
    throw fail(`got ${describe(value)}, which is not ${what.noun}`);
  }
  return result as T;
}

function isSerialized(value: unknown): value is SerializedKerasObject {
  if (value == null || typeof value !== 'object') {
    return false;
  }
  const {className, config} = value as {className?: unknown, config?: unknown};
  return typeof className === 'string' &&
      (config == null || typeof config === 'object');
}

export function describe(value: unknown): string {
  if (value instanceof tf.serialization.Serializable) {
    return `a ${value.getClassName()} object`;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function getInitializer(
    value: unknown, argName: string, owner: string): Initializer {
  const result = resolve(INITIALIZER, value, argName, owner);
  if (result == null) {
    throw new Error(`${owner}: ${argName} must not be null`);
  }
  return result;
}

export function getRegularizer(
    value: unknown, argName: string, owner: string): Regularizer|null {
  return resolve(REGULARIZER, value, argName, owner);
}

export function getConstraint(
    value: unknown, argName: string, owner: string): Constraint|null {
  return resolve(CONSTRAINT, value, argName, owner);
}

/**
 * `{className, config}` of an object, as TF.js serializes them; null stays.
 * Unset entries (a GlorotUniform's `seed: undefined`) become null, which is
 * what they read back as from model.json, so configs compare equal after a
 * round trip.
 */
export function serializeKerasObject(
    value: tf.serialization.Serializable|null): tf.serialization.ConfigDict|
    null {
  if (value == null) {
    return null;
  }
  const config: tf.serialization.ConfigDict = {};
  for (const [key, entry] of Object.entries(value.getConfig())) {
    config[key] = entry === undefined ? null : entry;
  }
  return {className: value.getClassName(), config};
}

/**
 * The dtype of a layer config: a dtype name, or the Keras 3 policy object
 * `{className: 'DTypePolicy', config: {name}}` (read as its name). LayerNorm
 * computes in float32, so that is the only dtype accepted.
 */
export function layerDtype(
    value: unknown, owner: string): 'float32'|undefined {
  if (value == null) {
    return undefined;
  }
  let name = value;
  if (isSerialized(value) &&
      /^(Float)?DTypePolicy$/.test(value.className) &&
      typeof value.config?.name === 'string') {
    name = value.config.name;
  }
  if (name !== 'float32') {
    throw new Error(`${owner}: dtype must be 'float32' or a Keras ` +
                    `DTypePolicy named 'float32'; got ${describe(value)}`);
  }
  return name;
}
