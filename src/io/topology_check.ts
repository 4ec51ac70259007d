/**
 * Checks of a layers model's files made before TF.js sees them, for what
 * TF.js handles badly:
 *   - `inbound_nodes` naming a layer the model lacks, a node that never
 *     exists, or forming a cycle: TF.js's `Container.fromConfig` re-queues
 *     such a node forever (100% CPU, no error);
 *   - layer classes TF.js does not know, named as such;
 *   - a failure after TF.js has built the model or decoded the weights
 *     (unknown, missing, duplicate or misshapen weights, too few bytes):
 *     TF.js throws without disposing either. The weights manifest is checked
 *     against a model built from the topology here, disposed whatever
 *     happens, so that TF.js's own load cannot fail there.
 * Topologies are in the Keras 2 form (see keras_format.ts).
 */
import * as tf from '@tensorflow/tfjs';

type Json = null|boolean|number|string|Json[]|{[key: string]: Json};
type JsonObject = {[key: string]: Json};

function isObject(value: Json|undefined): value is JsonObject {
  return value != null && typeof value === 'object' && !Array.isArray(value);
}

/** The model config inside a `modelTopology` (or the topology itself). */
export function modelConfigOf(topology: JsonObject): JsonObject {
  return isObject(topology['model_config']) ? topology['model_config'] : topology;
}

// ------------------------------------------------------------ layer graph

/**
 * Classes whose instances start with one node before any inbound node is
 * applied (a Sequential without an input shape does not: counting it errs
 * towards letting TF.js try).
 */
const CLASSES_WITH_OWN_NODE = ['InputLayer', 'Sequential', 'Model', 'Functional'];

interface PendingNode {
  layer: string;
  index: number;
  inputs: Array<[string, number]>;
  next: number;  // inputs before this one are available
}

/**
 * Refuses `inbound_nodes` that TF.js would wait on forever, naming the
 * layer, and `input_layers` / `output_layers` naming a node that never
 * exists. Nested models are checked too. `where`: the config's path, for
 * messages.
 */
export function checkLayerGraph(config: JsonObject, where = 'config'): void {
  const layers = config['layers'];
  if (Array.isArray(layers)) {
    layers.forEach((layer, i) => {
      if (isObject(layer) && isObject(layer['config'])) {
        checkLayerGraph(layer['config'], `${where}.layers[${i}].config`);
      }
    });
  }
  if (!Array.isArray(layers) ||
      !layers.some(l => isObject(l) && Array.isArray(l['inbound_nodes']))) {
    return;  // a Sequential, or no graph
  }
  const names: string[] = [];
  const ownNodes = new Map<string, number>();
  const declared = new Map<string, number>();  // nodes a layer can ever have
  const pending: PendingNode[] = [];
  for (const [i, layer] of layers.entries()) {
    if (!isObject(layer)) {
      throw new Error(`Keras model config: ${where}.layers[${i}] must be a ` +
                      `layer config object; got ${JSON.stringify(layer)}`);
    }
    const name = layer['name'] ?? (isObject(layer['config']) ? layer['config']['name'] : null);
    if (typeof name !== 'string') {
      throw new Error(`Keras model config: ${where}.layers[${i}] has no name`);
    }
    if (ownNodes.has(name)) {
      throw new Error(`Keras model config: two layers are named '${name}' in ${where}`);
    }
    names.push(name);
    const nodes = layer['inbound_nodes'] ?? [];
    const own = CLASSES_WITH_OWN_NODE.includes(String(layer['class_name'])) ? 1 : 0;
    ownNodes.set(name, own);
    if (!Array.isArray(nodes)) {
      throw new Error(`Keras model config: inbound_nodes of layer '${name}' ` +
                      `must be a list; got ${JSON.stringify(nodes)}`);
    }
    declared.set(name, own + nodes.length);
    nodes.forEach((node, index) => {
      pending.push({layer: name, index, inputs: nodeInputs(node, name, index), next: 0});
    });
  }

  // Which nodes TF.js can ever apply does not depend on its order: a node
  // becomes applicable once the nodes it reads exist, and nodes only appear.
  const count = new Map(ownNodes);
  const waiting = new Map<string, Map<number, PendingNode[]>>();
  const done = new Set<PendingNode>();
  const attempt = (start: PendingNode) => {
    const ready = [start];
    while (ready.length > 0) {
      const node = ready.pop()!;
      while (node.next < node.inputs.length) {
        const [layer, index] = node.inputs[node.next];
        if ((count.get(layer) ?? 0) > index) {
          node.next++;
          continue;
        }
        const byIndex = waiting.get(layer) ?? new Map<number, PendingNode[]>();
        waiting.set(layer, byIndex);
        byIndex.set(index, [...(byIndex.get(index) ?? []), node]);
        break;
      }
      if (node.next < node.inputs.length) continue;
      done.add(node);
      const made = count.get(node.layer)!;
      count.set(node.layer, made + 1);
      ready.push(...(waiting.get(node.layer)?.get(made) ?? []));
      waiting.get(node.layer)?.delete(made);
    }
  };
  pending.forEach(attempt);
  const stuck = pending.filter(n => !done.has(n));
  if (stuck.length > 0) {
    throw new Error(`Keras model config: ${
        explainStuck(stuck, declared)} (in ${where}; TF.js would wait for it forever)`);
  }
  for (const key of ['input_layers', 'output_layers']) {
    const list = config[key];
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const [layer, index] = Array.isArray(entry) ? entry : [];
      if (typeof layer !== 'string' || !count.has(layer) ||
          typeof index !== 'number' || !(index < count.get(layer)!)) {
        throw new Error(`Keras model config: ${where}.${key} names ${
            JSON.stringify(entry)}, which is not a node of a layer of the model`);
      }
    }
  }
}

/** A Keras 2 node `[[layer, node, tensor, kwargs?], ...]` as its (layer, node) inputs. */
function nodeInputs(node: Json, layer: string, index: number): Array<[string, number]> {
  const fail = () => new Error(
      `Keras model config: inbound node ${index} of layer '${layer}' must be a ` +
      `list of [layer, node, tensor, kwargs] entries; got ${JSON.stringify(node)}`);
  if (!Array.isArray(node)) throw fail();
  return node.map(entry => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' ||
        !Number.isInteger(entry[1]) || (entry[1] as number) < 0 ||
        !Number.isInteger(entry[2]) || (entry[2] as number) < 0) {
      throw fail();
    }
    return [entry[0], entry[1] as number];
  });
}

/** Why the first stuck node can never be applied: a missing layer or node, or a cycle. */
function explainStuck(stuck: PendingNode[], declared: Map<string, number>): string {
  const firstStuck = new Map<string, PendingNode>();
  for (const node of stuck) {
    if (!firstStuck.has(node.layer)) firstStuck.set(node.layer, node);
  }
  const chain: string[] = [];
  let node = stuck[0];
  for (;;) {
    chain.push(node.layer);
    const [layer, index] = node.inputs[node.next];
    const input = `node ${index} of layer '${layer}'`;
    if (!declared.has(layer)) {
      return `layer '${node.layer}' takes an input from layer '${layer}', ` +
          'which the model does not have';
    }
    if (index >= declared.get(layer)!) {
      return `layer '${node.layer}' takes an input from ${input}, but '${
          layer}' has only ${declared.get(layer)} node(s)`;
    }
    const cycleStart = chain.indexOf(layer);
    if (cycleStart >= 0) {
      return `layers ${[...chain.slice(cycleStart), layer].map(l => `'${l}'`).join(' -> ')} ` +
          'take their inputs from each other in a cycle';
    }
    node = firstStuck.get(layer)!;
  }
}

// ------------------------------------------------------------ layer classes

/**
 * Refuses a model or layer class TF.js has no registered class for, with
 * the Python module Keras 3 records for it. Nested configs are checked too.
 */
export function checkKnownClasses(topology: JsonObject): void {
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  const model = modelConfigOf(topology);
  const describe = (entry: JsonObject) => {
    const module = typeof entry['module'] === 'string' ? ` (Python module ${entry['module']})` : '';
    return `'${entry['class_name']}'${module}`;
  };
  if (typeof model['class_name'] === 'string' && !(model['class_name'] in known)) {
    throw new Error(`Keras model config: the model is of class ${describe(model)}, ` +
                    'which TF.js does not know: TF.js builds Sequential and functional ' +
                    'models from their layers, but this class keeps its network in ' +
                    'Python code (as keras-hub models do). Rebuild it as a ' +
                    'functional model of known layers, or port the class to TF.js ' +
                    'and register it with tf.serialization.registerClass');
  }
  const visit = (config: Json) => {
    const layers = isObject(config) ? config['layers'] : null;
    if (!Array.isArray(layers)) return;
    for (const layer of layers) {
      if (!isObject(layer)) continue;
      if (typeof layer['class_name'] === 'string' && !(layer['class_name'] in known)) {
        const name = isObject(layer['config']) ? layer['config']['name'] : null;
        throw new Error(`Keras model config: layer '${name ?? '?'}' is of class ${
            describe(layer)}, which TF.js does not know: port it to TF.js and ` +
                        'register it with tf.serialization.registerClass');
      }
      visit(layer['config'] ?? null);
    }
  };
  visit(model['config'] ?? null);
}

// ------------------------------------------------------------ the trial model

/**
 * Builds the model `topology` describes, hands it to `use`, and disposes it.
 * When the build itself fails, the variables of the layers built before
 * the failure are disposed too (TF.js leaves them registered).
 */
export async function withTrialModel<T>(
    topology: JsonObject, use: (model: tf.LayersModel) => T): Promise<T> {
  const engine = tf.engine();
  const before = new Set(Object.keys(engine.registeredVariables));
  // modelFromJSON builds synchronously before its first await, so the
  // variables registered by now are this build's and no one else's, and
  // the fast initialization below applies to this build only. It is what
  // TF.js's own load uses when weights follow (zeros instead of running the
  // initializers): without it the check would cost more than the load.
  const layer = tf.layers.Layer.prototype as unknown as {addWeight: (...args: unknown[]) => unknown};
  const addWeight = layer.addWeight;
  layer.addWeight = function(this: tf.layers.Layer, ...args: unknown[]) {
    this.setFastWeightInitDuringBuild(true);
    return addWeight.apply(this, args);
  };
  let building: Promise<tf.LayersModel>;
  try {
    building = tf.models.modelFromJSON({modelTopology: topology} as tf.io.ModelJSON);
  } finally {
    layer.addWeight = addWeight;
  }
  const created = Object.keys(engine.registeredVariables).filter(n => !before.has(n));
  let model: tf.LayersModel;
  try {
    model = await building;
  } catch (e) {
    for (const name of created) {
      engine.registeredVariables[name]?.dispose();
    }
    throw e;
  }
  try {
    return use(model);
  } finally {
    model.dispose();
  }
}

// ------------------------------------------------------------ the manifest

const DTYPE_BYTES: {[dtype: string]: number} = {
  float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2,
};

/**
 * The byte length of each weight in `data`, in manifest order, as
 * `tf.io.decodeWeights` reads them; throws naming the weight when a dtype
 * is unknown or the data ends before the manifest does.
 */
export function weightByteLengths(
    specs: tf.io.WeightsManifestEntry[], data: tf.io.CompositeArrayBuffer|null): number[] {
  let offset = 0;
  const total = data?.byteLength ?? 0;
  return specs.map(spec => {
    if (!Array.isArray(spec.shape) || !spec.shape.every(d => Number.isInteger(d) && d >= 0)) {
      throw new Error(`weights manifest: weight '${spec.name}' has shape ${
          JSON.stringify(spec.shape)}; expected a list of non-negative integers`);
    }
    const size = spec.shape.reduce((a, b) => a * b, 1);
    let bytes: number;
    if (spec.dtype === 'string' && spec.quantization == null) {
      bytes = 0;
      for (let i = 0; i < size; i++) {  // each: uint32 length, then the bytes
        if (offset + bytes + 4 > total) break;
        const length = new DataView(data!.slice(offset + bytes, offset + bytes + 4)).getUint32(0, true);
        bytes += 4 + length;
      }
    } else {
      const per = DTYPE_BYTES[spec.quantization?.dtype ?? spec.dtype];
      if (per == null) {
        throw new Error(`weights manifest: weight '${spec.name}' has dtype ${
            JSON.stringify(spec.quantization?.dtype ?? spec.dtype)}, which TF.js cannot read`);
      }
      bytes = per * size;
    }
    if (offset + bytes > total) {
      throw new Error(`weights manifest: weight '${spec.name}' ends at byte ${
          offset + bytes}, but the weight data holds only ${total} bytes`);
    }
    offset += bytes;
    return bytes;
  });
}

/**
 * Checks that TF.js's strict `loadWeights` will take every model weight of
 * the manifest (the specs not in the 'optimizer' group), as TF.js matches
 * them: by original name, or by `<layer>/<index>` when the first name ends
 * in a number, or with an inner cell name dropped; each once, with the
 * model's shape and dtype, and every model weight given.
 */
export function checkWeightsFit(model: tf.LayersModel, specs: tf.io.WeightsManifestEntry[]): void {
  const modelSpecs = specs.filter(spec => spec.group !== 'optimizer');
  const seen = new Set<string>();
  for (const spec of modelSpecs) {
    if (seen.has(spec.name)) {
      throw new Error(`weights manifest: the weight '${spec.name}' is listed twice`);
    }
    seen.add(spec.name);
  }
  // TF.js tests the first key of the weights object it builds from the specs.
  const keys = Object.keys(Object.fromEntries(modelSpecs.map(s => [s.name, 0])));
  const lastPart = keys.length > 0 ? keys[0].split('/').pop()! : '';
  const byIndex = !Number.isNaN(parseInt(lastPart, 10));
  const targets = new Map<string, tf.LayerVariable>();
  for (const layer of model.layers) {
    for (const [index, weight] of layer.weights.entries()) {
      const key = byIndex ? `${weight.name.split('/').slice(0, -1).join('/')}/${index}` :
                            weight.originalName;
      targets.set(key, weight);
    }
  }
  const total = targets.size;
  for (const spec of modelSpecs) {
    const tokens = spec.name.split('/');
    const name = targets.has(spec.name) ? spec.name :
        [...tokens.slice(0, -2), tokens[tokens.length - 1]].join('/');
    const weight = targets.get(name);
    if (weight == null) {
      throw new Error(`weights manifest: '${spec.name}' is not a weight of the ` +
                      `model (TF.js: "Provided weight data has no target variable"); ` +
                      `its weights are ${[...targets.keys()].join(', ')}`);
    }
    if (!tf.util.arraysEqual(weight.shape as number[], spec.shape) || weight.dtype !== spec.dtype) {
      throw new Error(`weights manifest: '${spec.name}' is ${spec.dtype} [${
          spec.shape}], but the model's weight '${weight.originalName}' is ${
          weight.dtype} [${weight.shape}]`);
    }
    targets.delete(name);
  }
  if (targets.size > 0) {
    throw new Error(`weights manifest: ${targets.size} of ${total} weights of the ` +
                    `model are not set: ${[...targets.keys()].join(', ')}`);
  }
}
