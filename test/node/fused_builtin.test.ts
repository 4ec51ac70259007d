/**
 * useFusedLayerNormalization() on TF.js's built-in LayerNormalization layer:
 * outputs against the float64 reference, ranks past the built-in's 4,
 * gradients, serialization and regularizers unchanged, undo. cpu.
 */
import * as tf from '@tensorflow/tfjs';
import {spawnSync} from 'child_process';
import * as path from 'path';

import {layerNorm, useFusedLayerNormalization} from '../../src';
import {normalData, refForward} from '../conformance/reference';
import {expectClose} from './layer_helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function builtin(args: Parameters<typeof tf.layers.layerNormalization>[0], shape: number[], seed: number) {
  const layer = tf.layers.layerNormalization(args);
  layer.build(shape);
  const sizes = layer.getWeights().map(w => w.shape);
  layer.setWeights(sizes.map((s, i) => tf.tensor(normalData(tf.util.sizeFromShape(s), seed + i, 0.5, 1 - i), s)));
  return layer;
}

const CASES: Array<[string, Parameters<typeof tf.layers.layerNormalization>[0], number[]]> = [
  ['default (axis -1, epsilon 1e-3)', {}, [3, 7]],
  ['axis [1, 2] of rank 3', {axis: [1, 2]}, [2, 3, 5]],
  ['axis [2, 1] (unsorted, as Keras allows)', {axis: [2, 1]}, [2, 3, 5]],
  ['axis 1 of rank 4, no center', {axis: 1, center: false}, [2, 3, 4, 2]],
  ['no scale, epsilon 1e-6', {scale: false, epsilon: 1e-6}, [4, 6]],
];

describe.each(CASES)('%s', (_, args, shape) => {
  test('matches the built-in and the float64 reference', () => {
    const layer = builtin(args, shape, 7);
    const x = tf.tensor(normalData(tf.util.sizeFromShape(shape), 3, 2, 0.5), shape);
    const plain = layer.apply(x) as tf.Tensor;
    const undo = useFusedLayerNormalization();
    try {
      const fused = layer.apply(x) as tf.Tensor;
      const weights = layer.getWeights().map(w => w.dataSync());
      const axes = (layer.getConfig().axis as number[]).slice().sort((a, b) => a - b);
      const cfg = layer.getConfig();
      const gamma = cfg.scale ? weights[0] : null;
      const beta = cfg.center ? weights[cfg.scale ? 1 : 0] : null;
      const ref = refForward(x.dataSync(), shape, axes, gamma, beta, cfg.epsilon as number);
      expectClose(fused.dataSync(), ref.y, 1e-5, 1e-5);
      expectClose(fused.dataSync(), plain.dataSync(), 1e-5, 1e-5);
      tf.dispose(fused);
    } finally {
      undo();
    }
    tf.dispose([x, plain]);
  });
});

test('runs ranks the built-in cannot (5 and 6), with gradients', () => {
  for (const shape of [[2, 3, 2, 2, 4], [1, 2, 2, 3, 2, 3]]) {
    const layer = builtin({axis: [-1, -3]}, shape, 11);
    const x = tf.tensor(normalData(tf.util.sizeFromShape(shape), 5, 1.5), shape);
    expect(() => layer.apply(x)).toThrow(/rank/);
    const undo = useFusedLayerNormalization();
    try {
      const y = layer.apply(x) as tf.Tensor;
      const rank = shape.length;
      const axes = [rank - 3, rank - 1];
      const [gamma, beta] = layer.getWeights().map(w => w.dataSync());
      expectClose(y.dataSync(), refForward(x.dataSync(), shape, axes, gamma, beta, 1e-3).y, 1e-5, 1e-5);
      const sizes = axes.map(a => shape[a]);
      const [gw, gb] = layer.getWeights();
      const grads = tf.grads((xv: tf.Tensor) => tf.sum(tf.square(layer.apply(xv) as tf.Tensor)))([x]);
      const direct = tf.grads((xv: tf.Tensor) => tf.sum(tf.square(
          layerNorm(xv, tf.reshape(gw, sizes), tf.reshape(gb, sizes), {axis: axes, epsilon: 1e-3}))))([x]);
      expectClose(grads[0].dataSync(), direct[0].dataSync(), 1e-6, 1e-6);
      tf.dispose([y, ...grads, ...direct]);
    } finally {
      undo();
    }
    x.dispose();
  }
});

test('fit trains gamma and beta (and applies the regularizer) as the built-in does', async () => {
  const make = () => {
    const model = tf.sequential({layers: [
      tf.layers.dense({units: 6, inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({seed: 1})}),
      tf.layers.layerNormalization({gammaRegularizer: tf.regularizers.l2({l2: 0.1})}),
      tf.layers.dense({units: 2, kernelInitializer: tf.initializers.glorotUniform({seed: 2})}),
    ]});
    model.compile({optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError'});
    return model;
  };
  const x = tf.tensor(normalData(32, 1), [8, 4]);
  const t = tf.tensor(normalData(16, 2), [8, 2]);
  const plain = make();
  const plainHistory = await plain.fit(x, t, {epochs: 3, batchSize: 8, shuffle: false, verbose: 0});
  const undo = useFusedLayerNormalization();
  let fusedLoss: number[];
  let fusedWeights: Float32Array[];
  try {
    const fused = make();
    const history = await fused.fit(x, t, {epochs: 3, batchSize: 8, shuffle: false, verbose: 0});
    fusedLoss = history.history.loss as number[];
    fusedWeights = fused.getWeights().map(w => w.dataSync() as Float32Array);
  } finally {
    undo();
  }
  expectClose(fusedLoss, plainHistory.history.loss as number[], 1e-5, 1e-5);
  plain.getWeights().forEach((w, i) => expectClose(fusedWeights[i], w.dataSync(), 1e-5, 1e-5));
  tf.dispose([x, t]);
});

test('serialization is unchanged: the saved config is the built-in one', async () => {
  const layer = tf.layers.layerNormalization({axis: [1, 2], epsilon: 1e-4});
  const before = JSON.stringify(layer.getConfig());
  const undo = useFusedLayerNormalization();
  try {
    expect(layer.getClassName()).toBe('LayerNormalization');
    expect(JSON.stringify(layer.getConfig())).toBe(before);
  } finally {
    undo();
  }
});

test('undo restores the built-in call; nested opt-ins stack; nothing leaks', () => {
  const proto = Object.getPrototypeOf(tf.layers.layerNormalization({}));
  const original = proto.call;
  const undoA = useFusedLayerNormalization();
  const undoB = useFusedLayerNormalization();
  expect(proto.call).not.toBe(original);
  undoA();
  undoA();
  expect(proto.call).not.toBe(original);
  undoB();
  expect(proto.call).toBe(original);

  const layer = builtin({}, [2, 5], 3);
  const x = tf.randomNormal([2, 5]);
  const undo = useFusedLayerNormalization();
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(x) as tf.Tensor);
  expect(tf.memory().numTensors).toBe(before);
  undo();
  x.dispose();
});

test('the opt-in needs no backend: callable before an async backend (wasm) has started', () => {
  // A fresh Node process: this one has started cpu.
  const script = `
    import * as tf from '@tensorflow/tfjs';
    import '@tensorflow/tfjs-backend-wasm';
    import layernorm from './src';  // src/ is CommonJS: its exports arrive as the default
    const undo = layernorm.useFusedLayerNormalization();
    undo();
    console.log(JSON.stringify({backend: tf.engine().backendName ?? null}));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
                      {cwd: path.resolve(__dirname, '../..'), encoding: 'utf8'});
  if (r.status !== 0) throw new Error(`the child process failed (${r.status}):\n${r.stderr}`);
  expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({backend: null});
});

test('importing the package changes nothing', () => {
  const layer = builtin({}, [2, 5, 2, 2, 2], 3);
  expect(() => layer.apply(tf.zeros([2, 5, 2, 2, 2]))).toThrow(/rank/);
});

/** A one-node graph as tensorflowjs_converter writes a FusedBatchNormV3 (NHWC). */
function batchNormGraph(params: tf.Tensor[], attr: {[name: string]: unknown} = {}): tf.io.ModelArtifacts {
  const names = ['scale', 'offset', 'mean', 'variance'];
  const dim = (t: tf.Tensor) => ({dim: t.shape.map(size => ({size: String(size)}))});
  return {
    format: 'graph-model',
    modelTopology: {node: [
      {name: 'x', op: 'Placeholder', attr: {dtype: {type: 'DT_FLOAT'}, shape: {shape: {dim: [{size: '-1'}, {size: '2'}, {size: '2'}, {size: '3'}]}}}},
      ...names.map((n, i) => ({name: n, op: 'Const', attr: {dtype: {type: 'DT_FLOAT'}, value: {tensor: {dtype: 'DT_FLOAT', tensorShape: dim(params[i])}}}})),
      {name: 'block/norm/FusedBatchNormV3', op: 'FusedBatchNormV3', input: ['x', ...names],
       attr: {epsilon: {f: 0.001}, is_training: {b: true}, data_format: {s: 'TkhXQw=='}, T: {type: 'DT_FLOAT'}, ...attr}},
    ], versions: {producer: 1}},
    weightSpecs: names.map((name, i) => ({name, shape: params[i].shape, dtype: 'float32' as const})),
    weightData: tf.io.concatenateArrayBuffers(params.map(p => p.dataSync().slice().buffer)),
  };
}

describe('graph models: FusedBatchNormV3 in training mode', () => {
  const SCALE = [1.5, 0.5, 2], OFFSET = [0.1, -0.2, 0.3];
  const trainingParams = () => [tf.tensor1d(SCALE), tf.tensor1d(OFFSET), tf.tensor1d([]), tf.tensor1d([])];
  /** Channel 1 is constant: 0/0 with epsilon 0, as in TensorFlow. */
  const input = () => tf.tensor4d([1, 5, -2, 3, 5, 0.5, 2, 5, 4, -1, 5, 1,
                                    0, 5, 2, 2.5, 5, -3, 4, 5, 0, 1.5, 5, 2], [2, 2, 2, 3]);
  const load = (params: tf.Tensor[], attr?: {[name: string]: unknown}) =>
      tf.loadGraphModelSync(batchNormGraph(params, attr));
  const reference = (x: tf.Tensor, epsilon: number) =>
      refForward(x.dataSync(), x.shape, [0, 1, 2], null, null, epsilon).y.map((v, i) => v * SCALE[i % 3] + OFFSET[i % 3]);
  /** What TF.js's own executor computes for the node (an inference batch norm of empty statistics). */
  const tfjsOwn = (x: tf.Tensor, params: tf.Tensor[]) =>
      tf.tidy(() => tf.batchNorm(x, params[2], params[3], params[1], params[0], 0.001).dataSync());

  test('a model loaded while on keeps running after undo (TF.js\'s own computation), fused again after a new opt-in', () => {
    const x = input(), params = trainingParams();
    const before = tf.memory().numTensors;
    const undo = useFusedLayerNormalization();
    expect(tf.memory().numTensors).toBe(before);  // the registration probes leak nothing
    const model = load(params);
    const fused = () => tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    try {
      expectClose(fused(), reference(x, 1e-3), 1e-5, 1e-5);
    } finally {
      undo();
    }
    expect(Array.from(fused())).toEqual(Array.from(tfjsOwn(x, params)));
    const loadedAfter = load(params);
    expect(Array.from(tf.tidy(() => (loadedAfter.predict(x) as tf.Tensor).dataSync())))
        .toEqual(Array.from(tfjsOwn(x, params)));
    const again = useFusedLayerNormalization();
    try {
      expectClose(fused(), reference(x, 1e-3), 1e-5, 1e-5);
    } finally {
      again();
    }
    model.dispose();
    loadedAfter.dispose();
    tf.dispose([x, ...params]);
  });

  test('your own tf.registerOp, made before or while it is on, stays in charge and survives undo', () => {
    const x = input(), params = trainingParams();
    const yours = (node: {inputs: tf.Tensor[]}) => tf.fill(node.inputs[0].shape, 7);
    const run = () => {
      const model = load(params);
      const y = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).dataSync()));
      model.dispose();
      return y;
    };
    const sevens = new Array(x.size).fill(7);
    try {
      tf.registerOp('FusedBatchNormV3', yours);
      const undo = useFusedLayerNormalization();
      try {
        expect(run()).toEqual(sevens);
      } finally {
        undo();
      }
      expect(run()).toEqual(sevens);
      tf.deregisterOp('FusedBatchNormV3');

      const undoLater = useFusedLayerNormalization();
      try {
        tf.registerOp('FusedBatchNormV3', yours);
      } finally {
        undoLater();
      }
      expect(run()).toEqual(sevens);
    } finally {
      tf.deregisterOp('FusedBatchNormV3');
    }
    tf.dispose([x, ...params]);
  });

  test('epsilon 0 computes what TensorFlow computes (a constant channel is 0/0: NaN)', () => {
    const x = input(), params = trainingParams();
    const undo = useFusedLayerNormalization();
    try {
      const model = load(params, {epsilon: {f: 0}});
      const y = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
      const expected = reference(x, 0);
      expect(Array.from(y, Number.isNaN)).toEqual(Array.from(expected, Number.isNaN));
      expect(Array.from(expected, Number.isNaN).filter(Boolean).length).toBe(x.size / 3);
      expectClose(y.filter((_, i) => i % 3 !== 1), expected.filter((_, i) => i % 3 !== 1), 1e-5, 1e-5);
      model.dispose();
    } finally {
      undo();
    }
    tf.dispose([x, ...params]);
  });

  test('an error names the node', () => {
    const x = input();
    const params = [tf.tensor1d([1, 2]), tf.tensor1d([0, 0]), tf.tensor1d([]), tf.tensor1d([])];
    const undo = useFusedLayerNormalization();
    try {
      const model = load(params);
      expect(() => model.predict(x)).toThrow(/FusedBatchNormV3 node 'block\/norm\/FusedBatchNormV3'/);
      model.dispose();
    } finally {
      undo();
    }
    tf.dispose([x, ...params]);
  });
});
