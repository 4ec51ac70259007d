/**
 * Loading model.json files in the form Keras 3 writes them.
 *
 * TF.js 4.22 reads the Keras 2 form only. What Keras 3 changed, and what
 * breaks without rewriting (each checked against TF.js 4.22):
 *   - InputLayer config `batch_shape` (Keras 2: `batch_input_shape`):
 *     TF.js throws "An InputLayer should be passed either a
 *     `batchInputShape` or an `inputShape`".
 *   - dtype as a policy object `{class_name: 'DTypePolicy', config: {name}}`
 *     (Keras 2: the name): TF.js would take the object for a dtype.
 *   - Functional `inbound_nodes` entries `{args: [...], kwargs: {...}}` whose
 *     tensors are `{class_name: '__keras_tensor__', config: {keras_history:
 *     [layer, node, tensor]}}` (Keras 2: `[[layer, node, tensor, kwargs]]`):
 *     TF.js throws "Corrupted configuration, expected array for nodeData".
 *   - Functional `input_layers` / `output_layers` as one `[layer, node,
 *     tensor]` triple when the model has a single input or output.
 *   - Keras 3's `.h5` names registered classes `package>Name` (TF.js: "Unknown
 *     layer"): the package is dropped.
 * `module`, `registered_name` and `build_config` need nothing: TF.js reads
 * only `class_name` and `config`.
 * Weights: tensorflowjs_converter 4.22 names those of a `.keras` file by
 * their path in it, `layers/<snake_case class name>[_N]/vars/<i>`, which
 * TF.js cannot bind ("Provided weight data has no target variable"); they
 * are renamed to the layer's own weight names. A `.keras` file saved after
 * training also holds the optimizer's variables (`optimizer/vars/<i>`):
 * they are left out. A Keras 3 `.h5` names weights
 * `<model name>/<layer>/<weight>` in a Sequential model: the model name is
 * dropped.
 */
import * as tf from '@tensorflow/tfjs';

import {checkKnownClasses, checkLayerGraph, checkWeightsFit, modelConfigOf, weightByteLengths, withTrialModel} from './topology_check';

type Json = null|boolean|number|string|Json[]|{[key: string]: Json};
type JsonObject = {[key: string]: Json};

/**
 * Rewrites a Keras 3 model topology (or a whole `modelTopology` holding a
 * `model_config`) into the Keras 2 form TF.js reads; a Keras 2 topology
 * comes back unchanged. Returns a new object; the argument is not modified.
 */
export function normalizeKerasTopology<T>(topology: T): T {
  return convert(topology as unknown as Json, '', '') as unknown as T;
}

/**
 * Wraps an IOHandler so that `tf.loadLayersModel` also reads model.json files
 * written in the Keras 3 form: `tf.loadLayersModel(kerasCompatible(
 * tf.io.http(url)))` in a browser. The package's own `nodeFileSystem` (and
 * `file://` URLs) read that form without it. Saving, when the wrapped handler
 * saves, is unchanged.
 */
export function kerasCompatible(handler: tf.io.IOHandler): tf.io.IOHandler {
  if (handler == null || typeof handler.load !== 'function') {
    throw new Error('kerasCompatible: handler must be a tf.io.IOHandler ' +
                    'with a load method');
  }
  const wrapped: tf.io.IOHandler = {
    async load() {
      return loadableArtifacts(await handler.load!());
    },
  };
  if (handler.save != null) {
    wrapped.save = handler.save.bind(handler);
  }
  return wrapped;
}

/**
 * What the package's handlers return from `load()` for a layers model, so
 * that `tf.loadLayersModel` reads it: the topology in the Keras 2 form TF.js
 * reads (Keras 3's form rewritten), a Keras 3 optimizer's variables taken
 * out of the weights (bytes included), Keras 3 weight paths renamed, and
 * everything TF.js would fail on after allocating tensors (or hang on)
 * refused first, with an error naming the layer or weight (see
 * topology_check.ts). Graph models and binary topologies pass unchanged.
 */
export async function loadableArtifacts(
    artifacts: tf.io.ModelArtifacts): Promise<tf.io.ModelArtifacts> {
  if (prepared.has(artifacts)) {
    return artifacts;  // kerasCompatible around one of the package's handlers
  }
  const topology = artifacts?.modelTopology;
  if (!isObject((topology ?? null) as Json) ||
      !isObject((modelConfigOf(topology as JsonObject)['config'] ?? null))) {
    return artifacts;  // a graph model, a binary topology or nothing to read
  }
  const modelTopology = normalizeKerasTopology(topology as JsonObject);
  const config = modelConfigOf(modelTopology)['config'] as JsonObject;
  checkLayerGraph(config);
  checkKnownClasses(modelTopology);
  let {weightSpecs, weightData} = artifacts;
  if (weightSpecs != null && weightData != null) {
    ({weightSpecs, weightData} = withoutKerasOptimizer(weightSpecs, weightData));
    weightByteLengths(weightSpecs, new tf.io.CompositeArrayBuffer(weightData));
  } else if (weightData != null) {
    throw new Error('weights manifest: the model has weight data but no ' +
                    'manifest (weightSpecs) describing it');
  }
  const specs = weightSpecs;
  const renamed = await withTrialModel(modelTopology, model => {
    const named = specs?.some(spec => KERAS3_WEIGHT_PATH.test(spec.name)) ?
        renameKeras3Weights(model, config, specs) :
        specs && withoutModelName(model, String(config['name'] ?? ''), specs);
    if (named != null && weightData != null) checkWeightsFit(model, named);
    if (artifacts.trainingConfig != null) {
      model.loadTrainingConfig(artifacts.trainingConfig as Parameters<tf.LayersModel['loadTrainingConfig']>[0]);
    }
    return named;
  });
  const result = {...artifacts, modelTopology, weightSpecs: renamed, weightData};
  prepared.add(result);
  return result;
}

/** Artifacts loadableArtifacts returned, so that a second pass costs nothing. */
const prepared = new WeakSet<tf.io.ModelArtifacts>();

/** Keys the plain loader refuses too (as unknown layer arguments or by TF.js). */
const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

function isObject(value: Json): value is JsonObject {
  return value != null && typeof value === 'object' && !Array.isArray(value);
}

/** `where`: the path to `value` in the topology, for messages. */
function convert(value: Json, key: string, where: string): Json {
  if (Array.isArray(value)) {
    return value.map((item, i) => convert(item, key, `${where}[${i}]`));
  }
  if (!isObject(value)) {
    return value;
  }
  if (key === 'dtype' && typeof value['class_name'] === 'string' &&
      value['class_name'].endsWith('DTypePolicy') && isObject(value['config'])) {
    return value['config']['name'];
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    const here = where === '' ? k : `${where}.${k}`;
    if (FORBIDDEN_KEYS.includes(k)) {
      // Assigned below it would set `out`'s prototype (and vanish) instead.
      throw new Error(`Keras model config: the key '${k}' at '${
          where === '' ? '(top)' : where}' is not allowed`);
    }
    if (k === 'inbound_nodes' && Array.isArray(v)) {
      const layerName = String(value['name'] ?? '?');
      out[k] = v.map((node, i) => legacyNode(node, layerName, `${here}[${i}]`));
    } else if ((k === 'input_layers' || k === 'output_layers') && v != null) {
      out[k] = tensorList(v, k);
    } else {
      out[k] = convert(v, k, here);
    }
  }
  const className = out['class_name'];
  if (typeof className === 'string' && className.includes('>') && 'config' in out) {
    // Keras 3's .h5 names a registered class by its registry key, 'package>Name'.
    out['class_name'] = className.slice(className.lastIndexOf('>') + 1);
  }
  const config = out['config'];
  if (out['class_name'] === 'InputLayer' && isObject(config) &&
      config['batch_shape'] != null && config['batch_input_shape'] == null) {
    const {batch_shape, ...rest} = config;
    out['config'] = {...rest, batch_input_shape: batch_shape};
  }
  return out;
}

function isTriple(value: Json): value is [string, number, number] {
  return Array.isArray(value) && value.length === 3 &&
      typeof value[0] === 'string' && typeof value[1] === 'number' &&
      typeof value[2] === 'number';
}

/** `input_layers` / `output_layers` as a list of triples. */
function tensorList(value: Json, key: string): Json {
  if (isTriple(value)) {
    return [value];
  }
  if (isObject(value)) {  // named inputs or outputs: a dict of triples
    return Object.values(value).flatMap(v => tensorList(v, key) as Json[]);
  }
  if (Array.isArray(value) && value.every(isTriple)) {
    return value;
  }
  throw new Error(`Keras model config: ${key} must be [layer, node, tensor] ` +
                  `triples; got ${JSON.stringify(value)}`);
}

/** A Keras 3 node `{args, kwargs}` as a Keras 2 node `[[layer, node, tensor, kwargs], ...]`. */
function legacyNode(node: Json, layerName: string, where: string): Json {
  if (!isObject(node)) {
    return node;  // already the Keras 2 form (or invalid: TF.js will say)
  }
  const histories: Json[] = [];
  collectTensors(node['args'] ?? [], histories);
  const kwargs = node['kwargs'] ?? {};
  const kwargTensors: Json[] = [];
  collectTensors(kwargs, kwargTensors);
  if (kwargTensors.length > 0) {
    throw new Error(`Keras model config: layer '${layerName}' is called ` +
                    `with a tensor as a keyword argument, which TF.js ` +
                    `cannot express: ${JSON.stringify(kwargs)}`);
  }
  if (histories.length === 0) {
    throw new Error(`Keras model config: an inbound node of layer '${
        layerName}' names no input tensor: ${JSON.stringify(node)}`);
  }
  return histories.map(
      h => [...(h as Json[]), convert(kwargs, 'kwargs', `${where}.kwargs`)]);
}

function collectTensors(value: Json, out: Json[]): void {
  if (Array.isArray(value)) {
    value.forEach(v => collectTensors(v, out));
  } else if (isObject(value)) {
    if (value['class_name'] === '__keras_tensor__') {
      const history =
          isObject(value['config']) ? value['config']['keras_history'] : null;
      if (!isTriple(history ?? null)) {
        throw new Error(`Keras model config: a __keras_tensor__ without a ` +
                        `[layer, node, tensor] keras_history: ${
                            JSON.stringify(value)}`);
      }
      out.push(history);
    } else {
      Object.values(value).forEach(v => collectTensors(v, out));
    }
  }
}

const KERAS3_WEIGHT_PATH = /^layers\/([^/]+)\/vars\/(\d+)$/;

/** Keras 3's `naming.to_snake_case` of a class name: 'Conv2D' -> 'conv2d'. */
function snakeCase(name: string): string {
  return name.replace(/\W+/g, '')
      .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toLowerCase();
}

/**
 * Maps `layers/<path name>/vars/<i>` to the i-th weight of the layer that
 * Keras 3 saved under that path name: layers in model order, each named by
 * its snake-cased class, `_1`, `_2`... for repeats. The weights' own names
 * are read from `model`, built from the topology.
 */
function renameKeras3Weights(
    model: tf.LayersModel, config: JsonObject,
    specs: tf.io.WeightsManifestEntry[]): tf.io.WeightsManifestEntry[] {
  const layerConfigs = config['layers'];
  if (!Array.isArray(layerConfigs)) {
    throw new Error('Keras model config: weights are named by .keras paths ' +
                    `(${specs[0].name}) but the model config lists no layers`);
  }
  const byPath = new Map<string, string>();
  const used = new Map<string, number>();
  for (const layer of layerConfigs) {
    if (!isObject(layer) || !isObject(layer['config'] ?? null)) continue;
    const base = snakeCase(String(layer['class_name']));
    const count = used.get(base);
    used.set(base, count == null ? 0 : count + 1);
    byPath.set(count == null ? base : `${base}_${count + 1}`,
               String((layer['config'] as JsonObject)['name']));
  }
  return specs.map(spec => {
    const match = KERAS3_WEIGHT_PATH.exec(spec.name);
    if (match == null) return spec;
    const layerName = byPath.get(match[1]);
    const weight = layerName == null ? null :
        model.getLayer(layerName).weights[Number(match[2])];
    if (weight == null || !tf.util.arraysEqual(weight.shape as number[], spec.shape)) {
      throw new Error(`Keras model config: cannot place weight '${
          spec.name}' (shape [${spec.shape}]): ${
          weight == null ? `no such weight in layer '${layerName ?? '?'}'` :
                           `layer '${layerName}' has '${weight.originalName}' of shape [${weight.shape}]`}`);
    }
    return {...spec, name: weight.originalName};
  });
}

/**
 * Keras 3's legacy `.h5` names weights by their variable path, which within a
 * Sequential model starts with the model's name (`sequential/dense/kernel`);
 * TF.js names them `dense/kernel`. Names the model has are left alone.
 */
function withoutModelName(
    model: tf.LayersModel, modelName: string,
    specs: tf.io.WeightsManifestEntry[]): tf.io.WeightsManifestEntry[] {
  const names = new Set(model.weights.map(w => w.originalName));
  const prefix = `${modelName}/`;
  return specs.map(spec => modelName !== '' && !names.has(spec.name) &&
          spec.name.startsWith(prefix) && names.has(spec.name.slice(prefix.length)) ?
      {...spec, name: spec.name.slice(prefix.length)} : spec);
}

/**
 * The variables of a Keras 3 optimizer, as tensorflowjs_converter names them
 * when the `.keras` file was saved after compile and fit: `optimizer/vars/<i>`
 * (a wrapping optimizer's inner one: `optimizer/<name>/vars/<i>`).
 */
const KERAS3_OPTIMIZER_PATH = /^optimizer\/(?:[^/]+\/)*vars\/\d+$/;

/**
 * The manifest and weight data without a Keras 3 optimizer's variables:
 * TF.js would decode them and then refuse them as weights of no layer.
 * They are not handed to a TF.js optimizer: Keras keeps them by index, in
 * its own order and update rule (see docs/keras.md).
 */
function withoutKerasOptimizer(
    specs: tf.io.WeightsManifestEntry[], data: tf.io.WeightData):
    {weightSpecs: tf.io.WeightsManifestEntry[], weightData: tf.io.WeightData} {
  if (!specs.some(spec => KERAS3_OPTIMIZER_PATH.test(spec.name) && spec.group !== 'optimizer')) {
    return {weightSpecs: specs, weightData: data};
  }
  const buffer = new tf.io.CompositeArrayBuffer(data);
  const lengths = weightByteLengths(specs, buffer);
  const kept: tf.io.WeightsManifestEntry[] = [];
  const parts: ArrayBuffer[] = [];
  let offset = 0;
  specs.forEach((spec, i) => {
    if (!KERAS3_OPTIMIZER_PATH.test(spec.name) || spec.group === 'optimizer') {
      kept.push(spec);
      parts.push(buffer.slice(offset, offset + lengths[i]));
    }
    offset += lengths[i];
  });
  return {weightSpecs: kept, weightData: tf.io.concatenateArrayBuffers(parts)};
}
