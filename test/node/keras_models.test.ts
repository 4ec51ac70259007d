/**
 * models/keras/ (written by python/make_models.py from real Keras and the
 * real tensorflowjs_converter, never by this test): converted models predict
 * what Keras predicted, read by nodeFileSystem and file:// URLs alone as
 * through kerasCompatible, also when saved after training (a .keras file
 * then carries the optimizer's variables); a network kept as one custom
 * class is refused as such; graph models of tf-keras' LayerNormalization fail as
 * upstream (tfjs#6864) until useFusedLayerNormalization(); the TF.js-trained
 * model passed its checks in Python. cpu.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {removeTempDirs, tempDir} from './layer_helpers';

import {kerasCompatible, LayerNorm, nodeFileSystem, useFusedLayerNormalization} from '../../src';
import {refForward} from '../conformance/reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(removeTempDirs);

const DIR = path.resolve(__dirname, '../../models/keras');
/** Issue 12's bound for unit-scale data, against Keras's own predictions. */
const MAX_ABS_DIFF = 1e-5;

interface StoredIO {
  inputShape: number[];
  input: number[];
  outputShape: number[];
  output: number[];
  graphOps?: string[];
}

function readIO(name: string): StoredIO {
  return JSON.parse(fs.readFileSync(path.join(DIR, name, 'io.json'), 'utf8'));
}

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

/** How a user points TF.js at a converted model.json. */
const SOURCES: {[how: string]: (file: string) => string|tf.io.IOHandler} = {
  'kerasCompatible(nodeFileSystem)': file => kerasCompatible(nodeFileSystem(file)),
  'nodeFileSystem': file => nodeFileSystem(file),
  'file:// URL': file => `file://${file}`,
};

async function predictLayers(name: string, how = 'kerasCompatible(nodeFileSystem)'):
    Promise<{diff: number, model: tf.LayersModel}> {
  const io = readIO(name);
  const model = await tf.loadLayersModel(SOURCES[how](path.join(DIR, name, 'model.json')) as tf.io.IOHandler);
  const x = tf.tensor(io.input, io.inputShape);
  const y = model.predict(x) as tf.Tensor;
  expect(y.shape).toEqual(io.outputShape);
  const diff = maxAbsDiff(y.dataSync(), io.output);
  tf.dispose([x, y]);
  return {diff, model};
}

async function predictGraph(name: string): Promise<Float32Array> {
  const io = readIO(name);
  const model = await tf.loadGraphModel(nodeFileSystem(path.join(DIR, name, 'model.json')));
  const x = tf.tensor(io.input, io.inputShape);
  const y = model.predict(x) as tf.Tensor;
  expect(y.shape).toEqual(io.outputShape);
  const data = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  model.dispose();
  return data;
}

const TWIN_MODELS = ['mlp', 'transformer', 'cnn_nchw'].flatMap(m => [`keras3_${m}`, `tf_keras_${m}`]);
/** Saved by Keras after compile and fit (python/make_models.py TRAINED). */
const TRAINED_MODELS = ['keras3_trained_adam', 'keras3_trained_sgd_momentum', 'keras3_h5_trained_adam',
                        'tf_keras_trained_adam', 'tf_keras_trained_sgd_momentum'];

test('models/keras holds the regenerated set', () => {
  const expected = [...TWIN_MODELS, ...TRAINED_MODELS, 'keras3_transformer_builtin', 'keras3_custom_backbone',
                    'graph_tf_keras', 'graph_keras3', 'tfjs_trained', 'tfjs_trained_mlp'];
  expect(fs.readdirSync(DIR).sort()).toEqual(expected.sort());
});

describe.each(TWIN_MODELS)('%s (Keras model with the Python twin, converted)', name => {
  test.each(Object.keys(SOURCES))(
      `loads through %s as LayerNorm layers and predicts what Keras predicted (max abs diff <= ${MAX_ABS_DIFF})`,
      async how => {
        const {diff, model} = await predictLayers(name, how);
        expect(model.layers.filter(l => l instanceof LayerNorm).length).toBeGreaterThan(0);
        expect(diff).toBeLessThanOrEqual(MAX_ABS_DIFF);
        model.dispose();
      });
});

interface WeightsManifest {
  weightsManifest: Array<{paths: string[], weights: tf.io.WeightsManifestEntry[]}>;
}

function readModelJson(name: string): WeightsManifest&{[key: string]: unknown} {
  return JSON.parse(fs.readFileSync(path.join(DIR, name, 'model.json'), 'utf8'));
}

const isOptimizerWeight = (spec: tf.io.WeightsManifestEntry) => spec.name.startsWith('optimizer/');

describe.each(TRAINED_MODELS)('%s (compiled, trained, then saved and converted)', name => {
  test('the converter wrote what make_models.py recorded: the optimizer\'s variables for .keras files', () => {
    const specs = readModelJson(name).weightsManifest.flatMap(g => g.weights);
    const {convertedOptimizerWeights, loss} =
        readIO(name) as unknown as {convertedOptimizerWeights: number, loss: {beforeTraining: number, afterTraining: number}};
    expect(specs.filter(isOptimizerWeight).length).toBe(convertedOptimizerWeights);
    expect(convertedOptimizerWeights > 0).toBe(name.startsWith('keras3_trained'));
    expect(loss.afterTraining).toBeLessThan(loss.beforeTraining);
  });

  test.each(Object.keys(SOURCES))(
      `loads through %s and predicts what Keras predicted (max abs diff <= ${MAX_ABS_DIFF}); allocates only the model's weights`,
      async how => {
        const before = tf.memory().numTensors;
        const {diff, model} = await predictLayers(name, how);
        expect(diff).toBeLessThanOrEqual(MAX_ABS_DIFF);
        expect(tf.memory().numTensors - before).toBe(model.weights.length);
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
});

test('the optimizer\'s variables are left out of the weights before TF.js decodes them (their bytes too)', async () => {
  const specs = readModelJson('keras3_trained_adam').weightsManifest.flatMap(g => g.weights);
  const modelSpecs = specs.filter(s => !isOptimizerWeight(s));
  const artifacts = await nodeFileSystem(path.join(DIR, 'keras3_trained_adam', 'model.json')).load!();
  expect(artifacts.weightSpecs!.map(s => s.shape)).toEqual(modelSpecs.map(s => s.shape));
  expect(artifacts.weightSpecs!.some(isOptimizerWeight)).toBe(false);
  const floats = modelSpecs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  expect(new tf.io.CompositeArrayBuffer(artifacts.weightData).byteLength).toBe(4 * floats);
});

test('any other unknown weight in a trained model still fails, naming it, and leaks nothing', async () => {
  const json = readModelJson('keras3_trained_adam');
  const dir = tempDir();
  for (const file of json.weightsManifest.flatMap(g => g.paths)) {
    fs.copyFileSync(path.join(DIR, 'keras3_trained_adam', file), path.join(dir, file));
  }
  const specs = json.weightsManifest[0].weights;
  const i = specs.findIndex(s => s.name === 'optimizer/vars/3');
  specs[i] = {...specs[i], name: 'optimiser/vars/3'};
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  for (const how of Object.keys(SOURCES)) {
    const before = tf.memory().numTensors;
    await expect(tf.loadLayersModel(SOURCES[how](path.join(dir, 'model.json')) as tf.io.IOHandler))
        .rejects.toThrow(/weights manifest: 'optimiser\/vars\/3' is not a weight of the model/);
    expect(tf.memory().numTensors).toBe(before);
  }
});

test('a network kept as one custom class (like keras-hub\'s BertBackbone) is refused as unknown to TF.js', async () => {
  const file = path.join(DIR, 'keras3_custom_backbone', 'model.json');
  expect((readModelJson('keras3_custom_backbone').modelTopology as {model_config: {class_name: string}})
      .model_config.class_name).toBe('TinyBackbone');
  for (const how of Object.keys(SOURCES)) {
    const before = tf.memory().numTensors;
    await expect(tf.loadLayersModel(SOURCES[how](file) as tf.io.IOHandler)).rejects.toThrow(
        /the model is of class 'TinyBackbone', which TF.js does not know: .*keeps its network in Python code/);
    expect(tf.memory().numTensors).toBe(before);
  }
});

test('Keras\'s LayerNormalization, converted: same predictions built-in and fused', async () => {
  const plain = await predictLayers('keras3_transformer_builtin');
  expect(plain.diff).toBeLessThanOrEqual(MAX_ABS_DIFF);
  const undo = useFusedLayerNormalization();
  try {
    const io = readIO('keras3_transformer_builtin');
    const x = tf.tensor(io.input, io.inputShape);
    const y = plain.model.predict(x) as tf.Tensor;
    expect(maxAbsDiff(y.dataSync(), io.output)).toBeLessThanOrEqual(MAX_ABS_DIFF);
    tf.dispose([x, y]);
  } finally {
    undo();
  }
  plain.model.dispose();
});

describe('graph model of tf-keras LayerNormalization (FusedBatchNormV3, is_training, tfjs#6864)', () => {
  test('the converter output holds the training-mode FusedBatchNormV3', () => {
    const json = JSON.parse(fs.readFileSync(path.join(DIR, 'graph_tf_keras', 'model.json'), 'utf8'));
    const nodes = (json.modelTopology.node as Array<{op: string, attr: {[k: string]: {b?: boolean}}}>)
        .filter(n => n.op === 'FusedBatchNormV3');
    expect(nodes.length).toBeGreaterThan(0);
    expect(nodes.every(n => n.attr['is_training'].b === true)).toBe(true);
  });

  test('without useFusedLayerNormalization(): the upstream failure (NaN on cpu)', async () => {
    const y = await predictGraph('graph_tf_keras');
    expect(Array.from(y).some(Number.isNaN)).toBe(true);
  });

  test(`with it: Keras's predictions (max abs diff <= ${MAX_ABS_DIFF}); undo restores the op`, async () => {
    const io = readIO('graph_tf_keras');
    const undo = useFusedLayerNormalization();
    let y: Float32Array;
    try {
      y = await predictGraph('graph_tf_keras');
    } finally {
      undo();
    }
    expect(maxAbsDiff(y, io.output)).toBeLessThanOrEqual(MAX_ABS_DIFF);
    const after = await predictGraph('graph_tf_keras');
    expect(Array.from(after).some(Number.isNaN)).toBe(true);
  });
});

test('graph model of Keras 3 LayerNormalization runs with and without the opt-in', async () => {
  const io = readIO('graph_keras3');
  expect(io.graphOps).not.toContain('FusedBatchNormV3');
  expect(maxAbsDiff(await predictGraph('graph_keras3'), io.output)).toBeLessThanOrEqual(MAX_ABS_DIFF);
  const undo = useFusedLayerNormalization();
  try {
    expect(maxAbsDiff(await predictGraph('graph_keras3'), io.output)).toBeLessThanOrEqual(MAX_ABS_DIFF);
  } finally {
    undo();
  }
});

/** A one-node graph as the converter writes a FusedBatchNormV3 (NHWC, 3 channels). */
function batchNormGraph(isTraining: boolean, params: tf.Tensor[]): tf.io.ModelArtifacts {
  const names = ['scale', 'offset', 'mean', 'variance'];
  const dim = (t: tf.Tensor) => ({dim: t.shape.map(size => ({size: String(size)}))});
  return {
    format: 'graph-model',
    modelTopology: {node: [
      {name: 'x', op: 'Placeholder', attr: {dtype: {type: 'DT_FLOAT'}, shape: {shape: {dim: [{size: '-1'}, {size: '4'}, {size: '4'}, {size: '3'}]}}}},
      ...names.map((n, i) => ({name: n, op: 'Const', attr: {dtype: {type: 'DT_FLOAT'}, value: {tensor: {dtype: 'DT_FLOAT', tensorShape: dim(params[i])}}}})),
      {name: 'bn', op: 'FusedBatchNormV3', input: ['x', ...names],
       attr: {epsilon: {f: 0.001}, is_training: {b: isTraining}, data_format: {s: 'TkhXQw=='}, T: {type: 'DT_FLOAT'}}},
    ], versions: {producer: 1}},
    weightSpecs: names.map((name, i) => ({name, shape: params[i].shape, dtype: 'float32' as const})),
    weightData: tf.io.concatenateArrayBuffers(params.map(p => p.dataSync().slice().buffer)),
  };
}

test('inference-mode batch norms stay TF.js\'s own', async () => {
  const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 1);
  const params = [tf.tensor1d([1.5, 0.5, 2]), tf.tensor1d([0.1, -0.2, 0.3]),
                  tf.tensor1d([0.2, -0.1, 0.05]), tf.tensor1d([0.9, 1.1, 2.5])];
  const expected = tf.batchNorm(x, params[2], params[3], params[1], params[0], 0.001);
  const undo = useFusedLayerNormalization();
  try {
    const model = await tf.loadGraphModel(tf.io.fromMemory(batchNormGraph(false, params)));
    const y = model.predict(x) as tf.Tensor;
    expect(maxAbsDiff(y.dataSync(), expected.dataSync())).toBe(0);
    tf.dispose(y);
    model.dispose();
  } finally {
    undo();
  }
  tf.dispose([x, expected, ...params]);
});

test('training-mode NHWC batch norm: per-channel statistics over N, H, W, then scale and offset', async () => {
  const x = tf.randomNormal([2, 4, 4, 3], 1, 2, 'float32', 2);
  const scale = [1.5, 0.5, 2], offset = [0.1, -0.2, 0.3];
  const params = [tf.tensor1d(scale), tf.tensor1d(offset), tf.tensor1d([]), tf.tensor1d([])];
  const normalized = refForward(x.dataSync(), x.shape, [0, 1, 2], null, null, 0.001).y;
  const expected = normalized.map((v, i) => v * scale[i % 3] + offset[i % 3]);
  const undo = useFusedLayerNormalization();
  try {
    const model = await tf.loadGraphModel(tf.io.fromMemory(batchNormGraph(true, params)));
    const y = model.predict(x) as tf.Tensor;
    expect(maxAbsDiff(y.dataSync(), expected)).toBeLessThanOrEqual(1e-5);
    tf.dispose(y);
    model.dispose();
  } finally {
    undo();
  }
  tf.dispose([x, ...params]);
});

/** Keras 3 loads the .h5 only with a single axis: its legacy loader drops `axis` lists. */
const REVERSE: Array<[string, string[]]> = [
  ['tfjs_trained', ['keras_h5 (tf_keras)', 'keras_saved_model (tf_keras)']],
  ['tfjs_trained_mlp', ['keras_h5 (tf_keras)', 'keras_h5 (keras 3)', 'keras_saved_model (tf_keras)']],
];

test.each(REVERSE)('TF.js -> Keras: %s reloads here and passed its Python checks', async (name, required) => {
  const {diff, model} = await predictLayers(name);
  expect(diff).toBeLessThanOrEqual(1e-6);
  model.dispose();
  const report = JSON.parse(fs.readFileSync(path.join(DIR, name, 'python_check.json'), 'utf8'));
  for (const label of required) {
    expect({label, ...report[label]}).toMatchObject({label, ok: true});
    expect(report[label].maxAbsDiff).toBeLessThanOrEqual(MAX_ABS_DIFF);
    expect(report[label].lossAfter).toBeLessThan(report[label].lossBefore);
  }
});
