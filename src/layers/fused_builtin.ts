/**
 * `useFusedLayerNormalization()`: TF.js's own `LayerNormalization` layers and
 * the training-mode `FusedBatchNorm*` nodes of converted graph models run on
 * the fused `layerNorm` op. Opt-in only; nothing here runs at import.
 */
import * as tf from '@tensorflow/tfjs';

import {normalizeAxes} from '../layer_norm_util';
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

let activeCount = 0;
let originalCall: Call|null = null;

function builtinPrototype(): BuiltinLayerNormalization {
  // The class is not exported; its instances are. No weights are made here.
  return Object.getPrototypeOf(tf.layers.layerNormalization({}));
}

function fusedCall(originalCall: Call): Call {
  return function(this: BuiltinLayerNormalization, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (Array.isArray(inputs) && inputs.length !== 1 || x.dtype !== 'float32' ||
        !(this.epsilon > 0)) {
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

/** A node as tfjs-converter hands it to a registered op. */
interface GraphNode {
  inputs: tf.Tensor[];
  attrs: {[name: string]: unknown};
}

/**
 * A training-mode batch norm with no running statistics normalizes each
 * channel over all other axes: a layer norm over those axes, then the
 * per-channel scale and offset. Anything else is what TF.js's own executor
 * does (`tf.batchNorm`, data_format ignored, epsilon default 0.001).
 */
function batchNormExecutor(node: GraphNode): tf.Tensor[] {
  const [x, scale, offset, mean, variance] = node.inputs;
  const training = node.attrs['is_training'] !== false;  // TF's default: true
  if (!training || mean.size !== 0 || variance.size !== 0) {
    const epsilon = (node.attrs['epsilon'] as number | undefined) ?? 0.001;
    return [tf.batchNorm(x, mean, variance, offset, scale, epsilon)];
  }
  const epsilon = (node.attrs['epsilon'] as number | undefined) ?? 1e-4;
  const format = String(node.attrs['data_format'] ?? 'nhwc').toLowerCase();
  const channel = format.startsWith('nc') ? 1 : x.rank - 1;
  return tf.tidy(() => {
    const axes = x.shape.map((_, i) => i).filter(i => i !== channel);
    const shape = x.shape.map((d, i) => i === channel ? d : 1);
    const y = layerNorm(x, null, null, {axis: axes, epsilon});
    return [tf.add(tf.mul(y, tf.reshape(scale, shape)), tf.reshape(offset, shape))];
  });
}

/**
 * Makes TF.js's built-in `LayerNormalization` layers (what
 * `keras.layers.LayerNormalization` becomes after conversion) run on the
 * fused `layerNorm` op, existing and future ones alike, and makes graph
 * models loaded afterwards run training-mode `FusedBatchNorm*` nodes with
 * empty mean and variance (tf-keras' LayerNormalization, tensorflow/tfjs#6864)
 * on it. Outputs, weights, serialization, regularizers and inference-mode
 * batch norms are unchanged. Returns a function that undoes it (graph models
 * loaded in between keep the fused nodes).
 */
export function useFusedLayerNormalization(): () => void {
  const proto = builtinPrototype();
  if (activeCount === 0) {
    originalCall = proto.call as Call;
    proto.call = fusedCall(originalCall) as typeof proto.call;
    for (const op of BATCH_NORM_OPS) {
      tf.registerOp(op, batchNormExecutor as unknown as Parameters<typeof tf.registerOp>[1]);
    }
  }
  activeCount++;
  let undone = false;
  return () => {
    if (undone) {
      return;
    }
    undone = true;
    activeCount--;
    if (activeCount === 0) {
      proto.call = originalCall as typeof proto.call;
      originalCall = null;
      BATCH_NORM_OPS.forEach(op => tf.deregisterOp(op));
    }
  };
}
