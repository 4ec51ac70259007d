/**
 * Keras-compatible serialization of the LayerNorm layer: snake_case
 * model.json, config round trips, model.json files in the form Python
 * Keras 2 and Keras 3 write, and malformed configs. cpu.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {kerasCompatible, LayerNorm, layerNormLayer, nodeFileSystem, normalizeKerasTopology} from '../../src';
import {normalData, refForward} from '../conformance/reference';
import {expectClose, predictData, refDense, removeTempDirs, saveToMemory, tempDir} from './layer_helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(removeTempDirs);

const ATOL = 1e-5, RTOL = 1e-5;

type Json = any;  // eslint-disable-line @typescript-eslint/no-explicit-any

/** A Sequential model exercising every argument (values other than defaults). */
function modelWithEveryArgument() {
  return tf.sequential({layers: [
    layerNormLayer({inputShape: [3, 4], axis: [1, -1], name: 'first'}),
    layerNormLayer({
      name: 'myNorm_Layer2',  // mixed case: names must survive snake-casing
      axis: -1, epsilon: 1e-3, inChannels: 4, trainable: false,
      gammaInitializer: tf.initializers.randomNormal({mean: 1, stddev: 0.5, seed: 5}),
      betaInitializer: 'glorotUniform',
      gammaRegularizer: tf.regularizers.l1l2({l1: 0.001, l2: 0.002}),
      betaRegularizer: {className: 'L2', config: {l2: 0.01}},
      gammaConstraint: 'nonNeg',
      betaConstraint: tf.constraints.maxNorm({maxValue: 2, axis: 0}),
    }),
    layerNormLayer({name: 'plain', axis: 2, center: false, scale: false}),
  ]});
}

function layerEntries(topology: Json): Json[] {
  const config = topology.model_config ?? topology;
  return config.config.layers;
}

describe('model.json form', () => {
  test('keys are snake_case as a Python Keras layer writes them; class_name LayerNorm', async () => {
    const model = modelWithEveryArgument();
    const artifacts = await saveToMemory(model);
    const [first, second, third] = layerEntries(artifacts.modelTopology);
    const own = ['axis', 'epsilon', 'center', 'scale', 'beta_initializer', 'gamma_initializer',
                 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint', 'in_channels', 'feature_axes'];
    expect(first.class_name).toBe('LayerNorm');
    expect(Object.keys(first.config).sort()).toEqual([...own, 'name', 'trainable', 'batch_input_shape', 'dtype'].sort());
    expect(Object.keys(second.config).sort()).toEqual([...own, 'name', 'trainable'].sort());
    expect(first.config.axis).toEqual([1, -1]);
    expect(first.config.batch_input_shape).toEqual([null, 3, 4]);
    expect(second.config).toMatchObject({
      name: 'myNorm_Layer2', trainable: false, axis: -1, epsilon: 1e-3, in_channels: 4,
      gamma_initializer: {class_name: 'RandomNormal', config: {mean: 1, stddev: 0.5, seed: 5}},
      // String values are snake-cased too ('fanAvg'); they come back on load.
      beta_initializer: {class_name: 'VarianceScaling', config: {scale: 1, mode: 'fan_avg', distribution: 'uniform'}},
      gamma_regularizer: {class_name: 'L1L2', config: {l1: 0.001, l2: 0.002}},
      beta_regularizer: {class_name: 'L1L2', config: {l1: 0, l2: 0.01}},
      gamma_constraint: {class_name: 'NonNeg', config: {}},
      beta_constraint: {class_name: 'MaxNorm', config: {max_value: 2, axis: 0}},
    });
    expect(third.config).toMatchObject({axis: 2, center: false, scale: false});
    expect(artifacts.weightSpecs!.map(w => [w.name, w.shape])).toEqual([
      ['first/gamma', [3, 4]], ['first/beta', [3, 4]],
      ['myNorm_Layer2/gamma', [4]], ['myNorm_Layer2/beta', [4]],
    ]);
    model.dispose();
  });
});

describe('featureAxes (Flax feature_axes)', () => {
  test('statistics over [H, W, C], gamma and beta over C: serialized as feature_axes, reloaded equal', async () => {
    const model = tf.sequential({layers: [layerNormLayer({
      inputShape: [3, 4, 5], axis: [1, 2, 3], featureAxes: -1, name: 'nhwc',
      gammaInitializer: tf.initializers.randomNormal({mean: 1, stddev: 0.3, seed: 3}),
      betaInitializer: tf.initializers.randomNormal({mean: 0, stddev: 0.3, seed: 4}),
    })]});
    const artifacts = await saveToMemory(model);
    const [entry] = layerEntries(artifacts.modelTopology);
    expect(entry.config).toMatchObject({axis: [1, 2, 3], feature_axes: -1});
    expect(artifacts.weightSpecs!.map(w => [w.name, w.shape])).toEqual([['nhwc/gamma', [5]], ['nhwc/beta', [5]]]);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(loaded.layers[0].getConfig()).toEqual(model.layers[0].getConfig());
    const xv = normalData(120, 8, 2, 1);
    const x = tf.tensor(xv, [2, 3, 4, 5]);
    const [gamma, beta] = model.getWeights().map(w => w.dataSync() as Float32Array);
    const want = refForward(xv, [2, 3, 4, 5], [1, 2, 3], gamma, beta, 1e-5, [3]).y;
    expectClose(predictData(loaded, x), want, ATOL, RTOL);
    expectClose(predictData(model, x), want, ATOL, RTOL);
    model.dispose();
    loaded.dispose();
    x.dispose();
  });

  test('default featureAxes is serialized as null; a bad featureAxes is refused naming it', async () => {
    expect(layerNormLayer({axis: 1}).getConfig().featureAxes).toBeNull();
    expect(() => layerNormLayer({featureAxes: [1.5]})).toThrow(/featureAxes must be an integer or an array of integers; got \[1.5\]/);
    const bad = layerNormLayer({featureAxes: 5});
    expect(() => bad.apply(tf.zeros([2, 3]))).toThrow(/featureAxes must be .*got 5/);
  });
});

describe('config round trips', () => {
  test('save + load: every layer config equal to the original, weights and outputs too', async () => {
    const model = modelWithEveryArgument();
    // Beta from fixed data rather than its (unseeded) 'glorotUniform'.
    const [gamma] = model.layers[1].getWeights();
    const betaBefore = normalData(4, 31, 0.6);
    model.layers[1].setWeights([gamma, tf.tensor(betaBefore)]);
    const artifacts = await saveToMemory(model);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(loaded.layers.map(l => l.getClassName())).toEqual(['LayerNorm', 'LayerNorm', 'LayerNorm']);
    for (let i = 0; i < 3; i++) {
      expect(loaded.layers[i]).toBeInstanceOf(LayerNorm);
      expect(loaded.layers[i].getConfig()).toEqual(model.layers[i].getConfig());
    }
    expect(loaded.layers[1].trainable).toBe(false);
    expect(loaded.trainableWeights.map(w => w.originalName)).toEqual(['first/gamma', 'first/beta']);

    // Not bit-equal: TF.js applies constraints whenever weights are written,
    // so loading passes beta through MaxNorm(2) once more. Below the max
    // norm n it maps w to w * n / (n + 1e-7), in float32 (three roundings):
    // each element moves by at most |w| (1e-7 / n + 3 ulp).
    const ULP = 2 ** -24;
    const beta = model.layers[1].getWeights()[1].dataSync();
    const norm = Math.hypot(...beta);
    expect(norm).toBeLessThan(2);
    const betaRtol = 1e-7 / norm + 3 * ULP;
    expectClose(loaded.layers[1].getWeights()[1].dataSync(), beta, 0, betaRtol);
    expect(loaded.layers[1].getWeights()[0].dataSync()).toEqual(gamma.dataSync());  // NonNeg: all >= 0
    const betaShift = Math.max(...beta.map(Math.abs)) * betaRtol;

    // The last layer normalizes h (the second's output) over 4 values,
    // y = (h - mean) / s: a shift d of h moves y by at most (2 + |y|) d / s,
    // and float32 rounding adds a few ulp of |h| / s and of |y| in each model.
    const x = tf.tensor(normalData(24, 1, 2, 1), [2, 3, 4]);
    const h = (tf.model({inputs: model.inputs, outputs: model.layers[1].output as tf.SymbolicTensor})
                   .predict(x) as tf.Tensor).dataSync();
    let atol = 0;
    for (let row = 0; row < h.length / 4; row++) {
      const values = Array.from(h.subarray(4 * row, 4 * row + 4));
      const mean = values.reduce((a, b) => a + b, 0) / 4;
      const s = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 4 + 1e-5);
      const hMax = Math.max(...values.map(Math.abs));
      atol = Math.max(atol, (2 + Math.sqrt(3)) * betaShift / s + 8 * ULP * (hMax / s + Math.sqrt(3)));
    }
    expectClose(predictData(loaded, x), predictData(model, x), atol, 0);
    model.dispose();
    loaded.dispose();
    x.dispose();
  });

  test('fromConfig(getConfig()) rebuilds an equal layer', () => {
    for (const layer of modelWithEveryArgument().layers) {
      const rebuilt = LayerNorm.fromConfig(LayerNorm, layer.getConfig());
      expect(rebuilt.getConfig()).toEqual(layer.getConfig());
    }
  });
});

/** Float64 reference of dense -> [residual add] -> layer norm. */
function refModel(
    x: Float32Array, shape: number[], kernel: Float32Array, bias: Float32Array,
    residual: boolean, axis: number|number[], gamma: Float32Array, beta: Float32Array,
    epsilon: number): Float64Array {
  const inUnits = shape[shape.length - 1];
  let h = refDense(x, inUnits, kernel, bias);
  if (residual) h = h.map((v, i) => v + x[i]);
  return refForward(h, [...shape.slice(0, -1), kernel.length / inUnits], axis, gamma, beta, epsilon).y;
}

/** Weights for the hand-written files, in manifest order. */
function keras2Weights(inUnits: number, units: number, normShape: number[]) {
  const normSize = normShape.reduce((a, b) => a * b, 1);
  return {
    kernel: normalData(inUnits * units, 21, 0.5), bias: normalData(units, 22, 0.1),
    gamma: normalData(normSize, 23, 0.3, 1), beta: normalData(normSize, 24, 0.2),
  };
}

function writeModelFiles(dir: string, modelJson: Json, data: Float32Array[]) {
  const total = data.reduce((n, d) => n + d.length, 0);
  const joined = new Float32Array(total);
  let offset = 0;
  for (const d of data) {
    joined.set(d, offset);
    offset += d.length;
  }
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson, null, 1));
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), Buffer.from(joined.buffer));
  return path.join(dir, 'model.json');
}

function manifest(entries: Array<[string, number[]]>) {
  return [{
    paths: ['group1-shard1of1.bin'],
    weights: entries.map(([name, shape]) => ({name, shape, dtype: 'float32'})),
  }];
}

/** What tensorflowjs_converter writes around a Keras model config. */
function modelJsonFile(kerasVersion: string, modelConfig: Json, weights: Json) {
  return {
    format: 'layers-model',
    generatedBy: `keras v${kerasVersion}`,
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {keras_version: kerasVersion, backend: 'tensorflow', model_config: modelConfig},
    weightsManifest: weights,
  };
}

/** LayerNorm's config as a Python Keras custom layer's get_config() returns it. */
function pythonLayerNormConfig(name: string, axis: number|number[], epsilon: number, inChannels: number,
                               dtype: Json, initializerExtra: Json = {}) {
  return {
    name, trainable: true, dtype, axis, epsilon, center: true, scale: true,
    beta_initializer: {class_name: 'Zeros', config: {}, ...initializerExtra},
    gamma_initializer: {class_name: 'Ones', config: {}, ...initializerExtra},
    beta_regularizer: null,
    gamma_regularizer: {class_name: 'L2', config: {l2: 0.01}, ...initializerExtra},
    beta_constraint: null, gamma_constraint: null, in_channels: inChannels,
  };
}

function keras2DenseConfig(name: string, units: number) {
  return {
    name, trainable: true, dtype: 'float32', units, activation: 'linear', use_bias: true,
    kernel_initializer: {class_name: 'GlorotUniform', config: {seed: null}},
    bias_initializer: {class_name: 'Zeros', config: {}},
    kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null,
    kernel_constraint: null, bias_constraint: null,
  };
}

const KERAS3_FLOAT32 = {module: 'keras', class_name: 'DTypePolicy', config: {name: 'float32'}, registered_name: null};
const KERAS3_OBJECT = {module: 'keras.initializers', registered_name: null};

function keras3DenseConfig(name: string, units: number) {
  return {
    name, trainable: true, dtype: KERAS3_FLOAT32, units, activation: 'linear', use_bias: true,
    kernel_initializer: {...KERAS3_OBJECT, class_name: 'GlorotUniform', config: {seed: null}},
    bias_initializer: {...KERAS3_OBJECT, class_name: 'Zeros', config: {}},
    kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null,
  };
}

function kerasTensor(layer: string, shape: Array<number|null>) {
  return {class_name: '__keras_tensor__', config: {shape, dtype: 'float32', keras_history: [layer, 0, 0]}};
}

describe('model.json files in the form Python Keras writes them', () => {
  const IN = 6, UNITS = 5;

  /** Keras 2 (tf.keras 2.15, converted by tensorflowjs): Sequential Input -> Dense -> LayerNorm. */
  function keras2Sequential() {
    const w = keras2Weights(IN, UNITS, [UNITS]);
    const json = modelJsonFile('2.15.0', {
      class_name: 'Sequential',
      config: {name: 'sequential', layers: [
        {class_name: 'InputLayer', config: {batch_input_shape: [null, IN], dtype: 'float32', sparse: false, ragged: false, name: 'dense_input'}},
        {class_name: 'Dense', config: keras2DenseConfig('dense', UNITS)},
        {class_name: 'LayerNorm', config: pythonLayerNormConfig('layer_norm', -1, 1e-3, UNITS, 'float32')},
      ]},
    }, manifest([['dense/kernel', [IN, UNITS]], ['dense/bias', [UNITS]], ['layer_norm/gamma', [UNITS]], ['layer_norm/beta', [UNITS]]]));
    return {json, w, data: [w.kernel, w.bias, w.gamma, w.beta]};
  }

  /** Keras 3 (3.6): Sequential, with InputLayer batch_shape, DTypePolicy dtypes, module/registered_name. */
  function keras3Sequential() {
    const w = keras2Weights(IN, UNITS, [UNITS]);
    const json = modelJsonFile('3.6.0', {
      module: 'keras', class_name: 'Sequential', registered_name: null,
      config: {
        name: 'sequential', trainable: true, dtype: KERAS3_FLOAT32,
        layers: [
          {module: 'keras.layers', class_name: 'InputLayer', registered_name: null,
           config: {batch_shape: [null, IN], dtype: 'float32', sparse: false, ragged: false, name: 'input_layer', optional: false}},
          {module: 'keras.layers', class_name: 'Dense', registered_name: null, build_config: {input_shape: [null, IN]},
           config: keras3DenseConfig('dense', UNITS)},
          {module: 'my_project.layers', class_name: 'LayerNorm', registered_name: 'my_project>LayerNorm',
           build_config: {input_shape: [null, UNITS]},
           config: pythonLayerNormConfig('layer_norm', -1, 1e-3, UNITS, KERAS3_FLOAT32, KERAS3_OBJECT)},
        ],
        build_input_shape: [null, IN],
      },
      build_config: {input_shape: [null, IN]}, compile_config: null,
    }, manifest([['dense/kernel', [IN, UNITS]], ['dense/bias', [UNITS]], ['layer_norm/gamma', [UNITS]], ['layer_norm/beta', [UNITS]]]));
    return {json, w, data: [w.kernel, w.bias, w.gamma, w.beta]};
  }

  /**
   * Keras 3: Functional tokens [4, 6] -> Dense(6) -> Add(tokens, dense) ->
   * LayerNorm over the last two axes, with Keras 3's {args, kwargs} nodes.
   */
  function keras3Functional() {
    const SEQ = 4, D = 6;
    const w = keras2Weights(D, D, [SEQ, D]);
    const layer = (className: string, name: string, config: Json, args: Json[], module = 'keras.layers') => ({
      module, class_name: className, config, registered_name: module == null ? className : null, name,
      build_config: args.length ? {input_shape: [null, SEQ, D]} : undefined,
      inbound_nodes: args.length ? [{args, kwargs: {}}] : [],
    });
    const json = modelJsonFile('3.6.0', {
      module: 'keras', class_name: 'Functional', registered_name: 'Functional',
      config: {
        name: 'block', trainable: true,
        layers: [
          layer('InputLayer', 'tokens', {batch_shape: [null, SEQ, D], dtype: 'float32', sparse: false, ragged: false, name: 'tokens', optional: false}, []),
          layer('Dense', 'proj', keras3DenseConfig('proj', D), [kerasTensor('tokens', [null, SEQ, D])]),
          layer('Add', 'residual', {name: 'residual', trainable: true, dtype: KERAS3_FLOAT32},
                [[kerasTensor('tokens', [null, SEQ, D]), kerasTensor('proj', [null, SEQ, D])]]),
          layer('LayerNorm', 'norm', pythonLayerNormConfig('norm', [-2, -1], 1e-5, SEQ * D, KERAS3_FLOAT32, KERAS3_OBJECT),
                [kerasTensor('residual', [null, SEQ, D])], null as unknown as string),
        ],
        input_layers: ['tokens', 0, 0],
        output_layers: ['norm', 0, 0],
      },
      build_config: {input_shape: null}, compile_config: null,
    }, manifest([['proj/kernel', [D, D]], ['proj/bias', [D]], ['norm/gamma', [SEQ, D]], ['norm/beta', [SEQ, D]]]));
    return {json, w, data: [w.kernel, w.bias, w.gamma, w.beta], SEQ, D};
  }

  test('Keras 2 Sequential: loads as is (file and file:// URL) and matches the float64 reference', async () => {
    const {json, w, data} = keras2Sequential();
    const file = writeModelFiles(tempDir(), json, data);
    const x = normalData(3 * IN, 25, 1.5);
    const expected = refModel(x, [3, IN], w.kernel, w.bias, false, -1, w.gamma, w.beta, 1e-3);
    for (const source of [nodeFileSystem(file), `file://${file}`]) {
      const model = await tf.loadLayersModel(source as string);
      const norm = model.getLayer('layer_norm') as LayerNorm;
      expect(norm).toBeInstanceOf(LayerNorm);
      expect(norm.getConfig()).toMatchObject({axis: -1, epsilon: 1e-3, inChannels: 5,
        gammaRegularizer: {className: 'L1L2', config: {l1: 0, l2: 0.01}}});
      expectClose(predictData(model, tf.tensor(x, [3, IN])), expected, ATOL, RTOL);
      model.dispose();
    }
  });

  test('Keras 3 Sequential: TF.js alone rejects it; through kerasCompatible it loads and matches', async () => {
    const {json, w, data} = keras3Sequential();
    const file = writeModelFiles(tempDir(), json, data);
    await expect(tf.loadLayersModel(tf.io.fromMemory(json.modelTopology)))
        .rejects.toThrow(/InputLayer should be passed either a `batchInputShape` or an `inputShape`/);
    const model = await tf.loadLayersModel(kerasCompatible(nodeFileSystem(file)));
    expect(model.layers.map(l => l.getClassName())).toEqual(['InputLayer', 'Dense', 'LayerNorm']);
    const x = normalData(3 * IN, 26, 1.5);
    expectClose(predictData(model, tf.tensor(x, [3, IN])),
                refModel(x, [3, IN], w.kernel, w.bias, false, -1, w.gamma, w.beta, 1e-3), ATOL, RTOL);
    model.dispose();
  });

  test('Keras 3 Functional block: TF.js alone rejects it; through kerasCompatible it loads and matches', async () => {
    const {json, w, data, SEQ, D} = keras3Functional();
    const file = writeModelFiles(tempDir(), json, data);
    await expect(tf.loadLayersModel(tf.io.fromMemory(JSON.parse(JSON.stringify(json.modelTopology)))))
        .rejects.toThrow(/InputLayer should be passed either a `batchInputShape`/);
    // With only the InputLayer and dtypes rewritten, Keras 3's node format
    // still stops TF.js: every rewrite kerasCompatible makes is needed.
    const partial = JSON.parse(JSON.stringify(json.modelTopology));
    for (const entry of partial.model_config.config.layers) {
      if (entry.config.batch_shape) entry.config.batch_input_shape = entry.config.batch_shape;
      delete entry.config.batch_shape;
      if (entry.config.dtype?.class_name) entry.config.dtype = 'float32';
    }
    await expect(tf.loadLayersModel(tf.io.fromMemory(partial)))
        .rejects.toThrow(/Corrupted configuration, expected array for nodeData/);
    const model = await tf.loadLayersModel(kerasCompatible(nodeFileSystem(file)));
    expect(model.layers.map(l => l.name)).toEqual(['tokens', 'proj', 'residual', 'norm']);
    expect((model.getLayer('norm') as LayerNorm).getConfig().axis).toEqual([-2, -1]);
    const x = normalData(2 * SEQ * D, 27);
    expectClose(predictData(model, tf.tensor(x, [2, SEQ, D])),
                refModel(x, [2, SEQ, D], w.kernel, w.bias, true, [-2, -1], w.gamma, w.beta, 1e-5), ATOL, RTOL);
    model.dispose();
  });

  test('normalizeKerasTopology leaves a Keras 2 / TF.js topology unchanged', async () => {
    const {json} = keras2Sequential();
    expect(normalizeKerasTopology(json.modelTopology)).toEqual(json.modelTopology);
    const saved = await saveToMemory(modelWithEveryArgument());
    expect(normalizeKerasTopology(saved.modelTopology)).toEqual(saved.modelTopology);
  });

  test('normalizeKerasTopology: what it rewrites, precisely', () => {
    const {json} = keras3Functional();
    const out = normalizeKerasTopology(json.modelTopology).model_config.config;
    expect(out.layers[0].config.batch_input_shape).toEqual([null, 4, 6]);
    expect(out.layers[0].config.batch_shape).toBeUndefined();
    expect(out.layers[1].config.dtype).toBe('float32');
    expect(out.layers[2].inbound_nodes).toEqual([[['tokens', 0, 0, {}], ['proj', 0, 0, {}]]]);
    expect(out.input_layers).toEqual([['tokens', 0, 0]]);
    expect(out.output_layers).toEqual([['norm', 0, 0]]);
    // The argument itself is not modified.
    expect(json.modelTopology.model_config.config.input_layers).toEqual(['tokens', 0, 0]);
  });
});

describe('malformed configs fail to load with a clear error', () => {
  let artifacts: tf.io.ModelArtifacts;
  beforeAll(async () => {
    const model = tf.sequential({layers: [
      tf.layers.dense({units: 5, inputShape: [3], name: 'dense'}),
      layerNormLayer({name: 'norm'}),
    ]});
    artifacts = await saveToMemory(model);
    model.dispose();
  });

  /** A copy of the saved model with the LayerNorm config (snake_case) edited. */
  function withNormConfig(edit: (config: Json) => void): tf.io.ModelArtifacts {
    const copy = JSON.parse(JSON.stringify(artifacts.modelTopology));
    edit(layerEntries(copy)[1].config);
    return {...artifacts, modelTopology: copy};
  }

  const cases: Array<[string, (c: Json) => void, RegExp]> = [
    ['an unknown key', c => { c.gamma_init = {class_name: 'Ones', config: {}}; }, /unknown argument 'gammaInit'/],
    ['axis a string', c => { c.axis = '1'; }, /axis must be an integer or a non-empty array of integers; got "1"/],
    ['axis fractional', c => { c.axis = 1.5; }, /axis must be an integer/],
    ['axis a list holding null', c => { c.axis = [1, null]; }, /axis must be an integer.*\[1,null\]/],
    ['axis out of range for the input', c => { c.axis = 2; }, /LayerNorm 'norm': axis must be .*\[-2, 1\].*got 2/],
    ['negative epsilon', c => { c.epsilon = -1e-5; }, /epsilon must be 0 or a number in \[1.1754943508222875e-38, 3.4028234663852886e\+38\] \(float32's normal range\); got -0.00001/],
    ['epsilon a string', c => { c.epsilon = '1e-5'; }, /epsilon must be 0 or a number in \[1.1754943508222875e-38, 3.4028234663852886e\+38\] \(float32's normal range\)/],
    ['center a string', c => { c.center = 'true'; }, /center must be true or false; got "true"/],
    ['in_channels negative', c => { c.in_channels = -3; }, /inChannels must be a non-negative integer/],
    ['in_channels not the input size', c => { c.in_channels = 7; }, /inChannels is 7 but the input of shape \[null,5\] has 5 elements/],
    ['an unknown initializer class', c => { c.gamma_initializer = {class_name: 'NoSuch', config: {}}; }, /gammaInitializer must be .*unknown className 'NoSuch'/],
    ['an initializer of the wrong type', c => { c.gamma_initializer = 5; }, /gammaInitializer must be .*got 5/],
    ['a regularizer that is an initializer', c => { c.beta_regularizer = {class_name: 'Zeros', config: {}}; }, /betaRegularizer must be .*'Zeros', which is not a regularizer/],
    ['dtype float16', c => { c.dtype = 'float16'; }, /dtype must be 'float32'.*"float16"/],
  ];
  test.each(cases)('%s', async (_name, edit, message) => {
    await expect(tf.loadLayersModel(tf.io.fromMemory(withNormConfig(edit)))).rejects.toThrow(message);
  });

  test('gamma of the wrong shape in the weight manifest', async () => {
    const specs = artifacts.weightSpecs!.map(s => s.name === 'norm/gamma' ? {...s, shape: [4]} : s);
    // Weight data consistent with the wrong manifest: gamma has 4 floats.
    const floats = new Float32Array(artifacts.weightData as ArrayBuffer);
    const gammaStart = 3 * 5 + 5;
    const data = new Float32Array([...floats.slice(0, gammaStart + 4), ...floats.slice(gammaStart + 5)]);
    const broken = {...artifacts, weightSpecs: specs, weightData: data.buffer};
    await expect(tf.loadLayersModel(tf.io.fromMemory(broken)))
        .rejects.toThrow(/LayerNorm 'norm': weight 'norm\/gamma' must have shape \[5\] .*got \[4\]/);
  });

  test('gamma missing from the weight manifest', async () => {
    const keep = artifacts.weightSpecs!.filter(s => s.name !== 'norm/gamma');
    const floats = new Float32Array(artifacts.weightData as ArrayBuffer);
    const data = new Float32Array([...floats.slice(0, 20), ...floats.slice(25)]);
    await expect(tf.loadLayersModel(tf.io.fromMemory({...artifacts, weightSpecs: keep, weightData: data.buffer})))
        .rejects.toThrow(/weights are not set: norm\/gamma/);
  });
});
