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
const KERAS_ONLY_CLASSES = new Map<string, (config: {}) => unknown>([
  ['L1', config => tf.regularizers.l1(config as {l1: number})],
  ['L2', config => tf.regularizers.l2(config as {l2: number})],
]);

type FromConfig = (cls: Function, config: tf.serialization.ConfigDict) => unknown;

/**
 * TF.js's registered class of that name, read as an own entry only (its
 * registry is a plain object: 'constructor' or '__proto__' would otherwise
 * find Object.prototype's).
 */
function registeredClass(className: string): [Function, FromConfig]|null {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  const entry = ownEntry(map, className);
  return Array.isArray(entry) && typeof entry[0] === 'function' &&
      typeof entry[1] === 'function' ? entry as [Function, FromConfig] : null;
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

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
  const serialized = asSerialized(value);
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
  } else if (serialized != null) {
    const {className, config} = serialized;
    const entry = registeredClass(className);
    const kerasOnly = KERAS_ONLY_CLASSES.get(className);
    if (entry != null) {
      const [cls, fromConfig] = entry;
      // Checked before constructing: a layer's class name must not build one.
      if (!(cls.prototype instanceof what.base)) {
        throw fail(`got className '${className}', which is not ${what.noun}`);
      }
      result = fromConfig(cls, {...config});
    } else if (kerasOnly != null) {
      result = kerasOnly({...config});
    } else {
      throw fail(`got unknown className '${className}'`);
    }
  } else {
    throw fail(`got ${describe(value)}`);
  }
  if (!(result instanceof what.base)) {
    throw fail(`got ${describe(value)}, which is not ${what.noun}`);
  }
  checkConfigValues(result as tf.serialization.Serializable, argName, owner);
  if (serialized != null) {
    // Keys the object does not read ('__proto__' among them) would vanish.
    const known = Object.keys((result as tf.serialization.Serializable).getConfig());
    const unknown = Object.keys(serialized.config).filter(k => !known.includes(k));
    if (unknown.length > 0) {
      throw fail(`got className '${serialized.className}' with unknown config key '${
          unknown[0]}' (it reads ${known.join(', ') || 'none'})`);
    }
  }
  return result as T;
}

const isFiniteNumber = (v: unknown): v is number =>
    typeof v === 'number' && Number.isFinite(v);
const isInteger = (v: unknown) => typeof v === 'number' && Number.isInteger(v);

/** What each numeric config entry of TF.js's initializers, regularizers and constraints must hold. */
const CONFIG_VALUE_RULES = new Map<string, [string, (v: unknown) => boolean]>([
  ['l1', ['a finite number >= 0', v => isFiniteNumber(v) && v >= 0]],
  ['l2', ['a finite number >= 0', v => isFiniteNumber(v) && v >= 0]],
  ['stddev', ['a finite number >= 0', v => isFiniteNumber(v) && v >= 0]],
  ['scale', ['a finite number > 0', v => isFiniteNumber(v) && v > 0]],
  ['maxValue', ['a finite number >= 0', v => isFiniteNumber(v) && v >= 0]],
  ['minValue', ['a finite number >= 0', v => isFiniteNumber(v) && v >= 0]],
  ['rate', ['a number in [0, 1]', v => isFiniteNumber(v) && v >= 0 && v <= 1]],
  ['mean', ['a finite number', isFiniteNumber]],
  ['minval', ['a finite number', isFiniteNumber]],
  ['maxval', ['a finite number', isFiniteNumber]],
  ['value', ['a finite number', isFiniteNumber]],
  ['gain', ['a finite number', isFiniteNumber]],
  ['seed', ['an integer or null', v => v == null || isInteger(v)]],
  ['axis', ['an integer or a list of integers',
            v => isInteger(v) || (Array.isArray(v) && v.every(isInteger))]],
  ['mode', ['a string', v => typeof v === 'string']],
  ['distribution', ['a string', v => typeof v === 'string']],
]);

/**
 * TF.js builds these objects from any config values and fails only when
 * they are used (or, with `l2: -5`, trains on a negative penalty): check the
 * values the object holds, whichever way it was given.
 */
function checkConfigValues(
    object: tf.serialization.Serializable, argName: string, owner: string) {
  const config = object.getConfig();
  for (const [key, value] of Object.entries(config)) {
    const rule = CONFIG_VALUE_RULES.get(key);
    if (rule != null && !rule[1](value)) {
      throw new Error(`${owner}: ${argName} (${object.getClassName()}): ${
          key} must be ${rule[0]}; got ${describe(value)}`);
    }
  }
  const [lower, upper] = [ownEntry(config, 'minval'), ownEntry(config, 'maxval')];
  if (isFiniteNumber(lower) && isFiniteNumber(upper) && lower > upper) {
    throw new Error(`${owner}: ${argName} (${object.getClassName()}): minval ` +
                    `must not exceed maxval; got ${lower} > ${upper}`);
  }
}

/** `{className, config}` read from the value's own properties only; null if it is not one. */
function asSerialized(value: unknown): SerializedKerasObject|null {
  if (value == null || typeof value !== 'object') {
    return null;
  }
  const className = ownEntry(value, 'className');
  const config = ownEntry(value, 'config') ?? {};
  return typeof className === 'string' && typeof config === 'object' ?
      {className, config: config as tf.serialization.ConfigDict} : null;
}

function ownEntry(object: object, key: string): unknown {
  return hasOwn(object, key) ? (object as {[key: string]: unknown})[key] : undefined;
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
  const policy = asSerialized(value);
  if (policy != null && /^(Float)?DTypePolicy$/.test(policy.className) &&
      typeof ownEntry(policy.config, 'name') === 'string') {
    name = ownEntry(policy.config, 'name') as string;
  }
  if (name !== 'float32') {
    throw new Error(`${owner}: dtype must be 'float32' or a Keras ` +
                    `DTypePolicy named 'float32'; got ${describe(value)}`);
  }
  return name;
}
