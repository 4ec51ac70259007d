/**
 * `useFusedLayerNormalization()`: TF.js's own `LayerNormalization` layers and
 * the training-mode `FusedBatchNorm*` nodes of converted graph models run on
 * the fused `layerNorm` op. Opt-in only; nothing here runs at import.
 */
import * as tf from '@tensorflow/tfjs';

import {isAcceptedEpsilon, normalizeAxes} from '../layer_norm_util';
import {layerNorm} from '../ops/layer_norm';

/** The fields of tfjs-layers' LayerNormalization that its `call` reads. */
interface BuiltinLayerNormalization extends tf.layers.Layer {
  axis: number|number[];
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable|null;
  beta: tf.LayerVariable|null;
}

type Call = (this: BuiltinLayerNormalization, inputs: tf.Tensor|tf.Tensor[],
             kwargs: tf.serialization.ConfigDict) => tf.Tensor|tf.Tensor[];

/** Graph ops that tf-keras' LayerNormalization lowers to (as batch norms in training mode). */
const BATCH_NORM_OPS = ['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3'];

/**
 * The opt-in's state for one copy of TF.js (keyed by its built-in layer's
 * prototype), shared through a global by every copy of this package in the
 * process (the CommonJS and ES module builds both loaded): one count of
 * active opt-ins, one saved call.
 */
interface SharedState {
  count: number;
  originalCall: Call|null;
}
const STATE_KEY = Symbol.for('tfjs-layernorm.useFusedLayerNormalization');

function sharedState(proto: BuiltinLayerNormalization): SharedState {
  const global = globalThis as unknown as {[key: symbol]: WeakMap<object, SharedState>|undefined};
  const states = global[STATE_KEY] ?? (global[STATE_KEY] = new WeakMap());
  let state = states.get(proto);
  if (state == null) {
    state = {count: 0, originalCall: null};
    states.set(proto, state);
  }
  return state;
}

function builtinPrototype(): BuiltinLayerNormalization {
  // The class is not exported; its instances are. No weights are made here.
  return Object.getPrototypeOf(tf.layers.layerNormalization({}));
}

function fusedCall(originalCall: Call): Call {
  return function(this: BuiltinLayerNormalization, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (Array.isArray(inputs) && inputs.length !== 1 || x.dtype !== 'float32' ||
        !isAcceptedEpsilon(this.epsilon)) {
      return originalCall.call(this, inputs, kwargs);  // its own errors
    }
    return tf.tidy(() => {
      const axes = normalizeAxes(this.axis, x.rank);
      // Keras reshapes gamma/beta (shaped in `axis` order) to the broadcast
      // shape, i.e. reinterprets them in ascending axis order: the same here.
      const sizes = axes.map(a => x.shape[a]);
      const param = (v: tf.LayerVariable|null, used: boolean) =>
          used && v != null ? tf.reshape(v.read(), sizes) : null;
      return layerNorm(
          x, param(this.gamma, this.scale), param(this.beta, this.center),
          {axis: axes, epsilon: this.epsilon});
    });
  };
}

/**
 * A node as tfjs-converter hands it to a registered op. `node` (the graph
 * node, which has the name) is outside TF.js's public type: read with care.
 */
interface GraphNode {
  inputs: tf.Tensor[];
  attrs: {[name: string]: unknown};
  node?: {name?: unknown};
}

/** TensorFlow's default epsilon of the FusedBatchNorm ops. */
const TF_EPSILON = 1e-4;
/** What TF.js's own executor takes for these nodes when they have none. */
const TFJS_EPSILON = 0.001;

/**
 * The executor registered for a FusedBatchNorm op. It stays registered
 * once there: TF.js marks a graph node as custom when it loads the model and
 * looks the op up by name on every run, so a model loaded while an opt-in was
 * active would otherwise throw. With no opt-in active it computes what TF.js's
 * own executor does.
 */
function batchNormExecutor(state: SharedState, op: string) {
  return (node: GraphNode): tf.Tensor[] => {
    try {
      return [tf.tidy(() => state.count > 0 && trainingWithoutStatistics(node) ?
                  fusedBatchNorm(node) : tfjsBatchNorm(node))];
    } catch (e) {
      const name = node.node?.name;
      throw new Error(`${op} node ${typeof name === 'string' ? `'${name}'` : '(unnamed)'}: ${
          e instanceof Error ? e.message : String(e)}`);
    }
  };
}

function trainingWithoutStatistics(node: GraphNode): boolean {
  const [, , , mean, variance] = node.inputs;
  return node.attrs['is_training'] !== false &&  // TF's default: true
      mean.size === 0 && variance.size === 0;
}

/** TF.js's own executor: an inference batch norm (data_format ignored). */
function tfjsBatchNorm(node: GraphNode): tf.Tensor {
  const [x, scale, offset, mean, variance] = node.inputs;
  const epsilon = (node.attrs['epsilon'] as number | undefined) ?? TFJS_EPSILON;
  return tf.batchNorm(x, mean, variance, offset, scale, epsilon);
}

/**
 * A training-mode batch norm with no running statistics normalizes each
 * channel over all other axes: a layer norm over those axes, then the
 * per-channel scale and offset.
 */
function fusedBatchNorm(node: GraphNode): tf.Tensor {
  const [x, scale, offset] = node.inputs;
  const epsilon = node.attrs['epsilon'] ?? TF_EPSILON;
  if (typeof epsilon !== 'number') {
    throw new Error(`epsilon must be a number; got ${JSON.stringify(epsilon)}`);
  }
  const format = String(node.attrs['data_format'] ?? 'nhwc').toLowerCase();
  const channel = format.startsWith('nc') ? 1 : x.rank - 1;
  for (const [name, t] of [['scale', scale], ['offset', offset]] as const) {
    if (t.size !== x.shape[channel]) {
      throw new Error(`${name} must have ${x.shape[channel]} elements (the channels of x [${
          x.shape}], ${format}); got shape [${t.shape}]`);
    }
  }
  const axes = x.shape.map((_, i) => i).filter(i => i !== channel);
  const shape = x.shape.map((d, i) => i === channel ? d : 1);
  const y = isAcceptedEpsilon(epsilon) ?
      layerNorm(x, null, null, {axis: axes, epsilon}) :
      batchNormFormula(tf.cast(x, 'float32'), axes, epsilon);
  return tf.add(tf.mul(y, tf.reshape(scale, shape)), tf.reshape(offset, shape));
}

/**
 * TensorFlow's formula as written, for the epsilons the layerNorm op refuses:
 * TensorFlow computes any (with 0, a constant channel is 0/0).
 */
function batchNormFormula(x: tf.Tensor, axes: number[], epsilon: number): tf.Tensor {
  const {mean, variance} = tf.moments(x, axes, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
}

/**
 * Whether `op` has an executor registered with `tf.registerOp` (yours, or
 * this package's from an earlier opt-in). TF.js exports no lookup, but its
 * loader records the answer in each graph node's category: a one-node graph
 * of the op is loaded (no weights, nothing run, so no backend is needed) and
 * its node read. Should a TF.js release store it elsewhere, the op counts as
 * unregistered.
 */
function hasRegisteredExecutor(op: string): boolean {
  const model = tf.loadGraphModelSync({
    format: 'graph-model',
    modelTopology: {node: [{name: 'probe', op}], versions: {producer: 1}},
    weightSpecs: [],
    weightData: new ArrayBuffer(0),
  });
  try {
    const loaded = model as unknown as
        {executor?: {graph?: {nodes?: {[name: string]: {category?: unknown}}}}};
    return loaded.executor?.graph?.nodes?.['probe']?.category === 'custom';
  } finally {
    model.dispose();
  }
}

/**
 * Makes TF.js's built-in `LayerNormalization` layers (what
 * `keras.layers.LayerNormalization` becomes after conversion) run on the
 * fused `layerNorm` op, existing and future ones alike, and makes graph
 * models loaded afterwards run training-mode `FusedBatchNorm*` nodes with
 * empty mean and variance (tf-keras' LayerNormalization, tensorflow/tfjs#6864)
 * on it. Outputs, weights, serialization, regularizers and inference-mode
 * batch norms are unchanged. An executor of your own registered for these
 * op names with `tf.registerOp` stays in charge of them.
 *
 * Returns a function that undoes it: once every opt-in is undone, layers and
 * graph models (including those loaded while it was on) compute what TF.js's
 * own code computes. Opt-ins nest, and count together across the CommonJS
 * and ES module builds of this package.
 */
export function useFusedLayerNormalization(): () => void {
  const proto = builtinPrototype();
  const state = sharedState(proto);
  if (state.count === 0) {
    const unclaimed = BATCH_NORM_OPS.filter(op => !hasRegisteredExecutor(op));
    for (const op of unclaimed) {
      tf.registerOp(op, batchNormExecutor(state, op) as unknown as Parameters<typeof tf.registerOp>[1]);
    }
    state.originalCall = proto.call as Call;
    proto.call = fusedCall(state.originalCall) as typeof proto.call;
  }
  state.count++;
  let undone = false;
  return () => {
    if (undone) {
      return;
    }
    undone = true;
    state.count--;
    if (state.count === 0) {
      proto.call = state.originalCall as typeof proto.call;
      state.originalCall = null;
    }
  };
}
