/**
 * The LayerNorm layer: arguments, weights, forward numbers against the
 * float64 reference, shapes, masking, summary, get/setWeights, leaks. cpu.
 */
import * as tf from '@tensorflow/tfjs';

import {LayerNorm, layerNormLayer, LayerNormLayerArgs} from '../../src';
import {normalData, refForward, sizeOf} from '../conformance/reference';
import {expectClose, predictData, saveToMemory} from './layer_helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** float32 outputs vs the float64 reference: the kernels' stated accuracy. */
const ATOL = 1e-5, RTOL = 1e-5;

function countTensors<T>(f: () => T): {result: T, leaked: number} {
  const before = tf.memory().numTensors;
  const result = f();
  return {result, leaked: tf.memory().numTensors - before};
}

describe('arguments', () => {
  test('defaults are MXNet Gluon\'s', () => {
    const layer = layerNormLayer();
    expect(layer).toBeInstanceOf(LayerNorm);
    expect(layer.getClassName()).toBe('LayerNorm');
    const config = layer.getConfig();
    expect(config).toMatchObject({
      axis: -1, epsilon: 1e-5, center: true, scale: true, inChannels: 0,
      betaInitializer: {className: 'Zeros', config: {}},
      gammaInitializer: {className: 'Ones', config: {}},
      betaRegularizer: null, gammaRegularizer: null,
      betaConstraint: null, gammaConstraint: null, trainable: true,
    });
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['axis a string', {axis: '1'}, /axis must be an integer or a non-empty array of integers; got "1"/],
    ['axis fractional', {axis: 1.5}, /axis must be an integer.*got 1.5/],
    ['axis empty', {axis: []}, /axis must be .*non-empty array.*got \[\]/],
    ['axis with a non-integer', {axis: [0, 'a']}, /axis must be .*got \[0,"a"\]/],
    ['epsilon negative', {epsilon: -1e-5}, /epsilon must be 0 or a number in \[1.1754943508222875e-38, 3.4028234663852886e\+38\] \(float32's normal range\); got -0.00001/],
    ['epsilon NaN', {epsilon: NaN}, /epsilon must be 0 or a number in \[1.1754943508222875e-38, 3.4028234663852886e\+38\] \(float32's normal range\); got NaN/],
    ['epsilon Infinity', {epsilon: Infinity}, /epsilon must be 0 or a number in \[1.1754943508222875e-38, 3.4028234663852886e\+38\] \(float32's normal range\); got Infinity/],
    ['epsilon a string', {epsilon: '1e-5'}, /epsilon must be 0 or a number in \[1.1754943508222875e-38, 3.4028234663852886e\+38\] \(float32's normal range\); got "1e-5"/],
    ['center not boolean', {center: 'yes'}, /center must be true or false; got "yes"/],
    ['scale not boolean', {scale: 1}, /scale must be true or false; got 1/],
    ['rmsScaling not boolean', {rmsScaling: 'yes'}, /rmsScaling must be true or false; got "yes"/],
    ['inChannels negative', {inChannels: -1}, /inChannels must be a non-negative integer.*got -1/],
    ['inChannels fractional', {inChannels: 2.5}, /inChannels must be a non-negative integer.*got 2.5/],
    ['unknown initializer name', {betaInitializer: 'nope'}, /betaInitializer must be an initializer name .*got unknown name 'nope'/],
    ['regularizer as initializer', {gammaInitializer: {className: 'L1L2', config: {}}}, /gammaInitializer must be .*className 'L1L2', which is not an initializer/],
    ['layer class as initializer', {gammaInitializer: {className: 'Dense', config: {units: 1}}}, /gammaInitializer must be .*className 'Dense', which is not an initializer/],
    ['unknown initializer class', {gammaInitializer: {className: 'NoSuch', config: {}}}, /gammaInitializer must be .*unknown className 'NoSuch'/],
    ['initializer a number', {gammaInitializer: 3}, /gammaInitializer must be .*got 3/],
    ['initializer as regularizer', {betaRegularizer: 'zeros'}, /betaRegularizer must be a regularizer name .*unknown name 'zeros'/],
    ['unknown constraint class', {gammaConstraint: {className: 'Nope', config: {}}}, /gammaConstraint must be a constraint .*unknown className 'Nope'/],
    ['unknown argument', {gammaInit: 'ones'}, /unknown argument 'gammaInit'; expected axis, epsilon, .*inChannels, name/],
    ['dtype int32', {dtype: 'int32'}, /dtype must be 'float32' or a Keras DTypePolicy named 'float32'; got "int32"/],
    ['mixed-precision policy', {dtype: {className: 'DTypePolicy', config: {name: 'mixed_float16'}}}, /dtype must be 'float32'.*mixed_float16/],
    ['args not an object', 5, /args must be an object; got 5/],
  ];
  test.each(bad)('%s: a clear error naming the argument', (_name, args, message) => {
    expect(() => new LayerNorm(args as LayerNormLayerArgs)).toThrow(message);
  });

  test('initializers by TF.js name, Keras name, class name, object or config', () => {
    const forms: unknown[] = [
      'glorotUniform', 'glorot_uniform', 'GlorotUniform',
      tf.initializers.glorotUniform({}),
      {className: 'VarianceScaling', config: {scale: 1, mode: 'fanAvg', distribution: 'uniform', seed: null}},
    ];
    for (const form of forms) {
      const config = new LayerNorm({gammaInitializer: form as string}).getConfig();
      // GlorotUniform serializes as the VarianceScaling it is.
      expect(config.gammaInitializer).toEqual({
        className: 'VarianceScaling',
        config: {scale: 1, mode: 'fanAvg', distribution: 'uniform', seed: null},
      });
    }
    const seeded = new LayerNorm({betaInitializer: tf.initializers.randomNormal({mean: 1, stddev: 2, seed: 7})});
    expect(seeded.getConfig().betaInitializer).toEqual({className: 'RandomNormal', config: {mean: 1, stddev: 2, seed: 7}});
  });

  test('regularizers and constraints, including Keras\'s L1 and L2 classes', () => {
    const cases: Array<[unknown, {}]> = [
      ['l2', {className: 'L1L2', config: {l1: 0, l2: 0.01}}],
      ['l1_l2', {className: 'L1L2', config: {l1: 0.01, l2: 0.01}}],
      [{className: 'L2', config: {l2: 0.25}}, {className: 'L1L2', config: {l1: 0, l2: 0.25}}],
      [{className: 'L1', config: {l1: 0.5}}, {className: 'L1L2', config: {l1: 0.5, l2: 0}}],
      [tf.regularizers.l1l2({l1: 0.1, l2: 0.2}), {className: 'L1L2', config: {l1: 0.1, l2: 0.2}}],
    ];
    for (const [form, serialized] of cases) {
      const config = new LayerNorm({betaRegularizer: form as string}).getConfig();
      expect(config.betaRegularizer).toEqual(serialized);
    }
    const constrained = new LayerNorm({
      gammaConstraint: 'non_neg',
      betaConstraint: {className: 'MaxNorm', config: {maxValue: 3, axis: 0}},
    }).getConfig();
    expect(constrained.gammaConstraint).toEqual({className: 'NonNeg', config: {}});
    expect(constrained.betaConstraint).toEqual({className: 'MaxNorm', config: {maxValue: 3, axis: 0}});
  });

  test('a Keras 3 DTypePolicy dtype naming float32 is accepted', () => {
    const layer = new LayerNorm({
      inputShape: [4],
      dtype: {className: 'DTypePolicy', config: {name: 'float32'}},
    });
    expect(layer.getConfig().dtype).toBe('float32');
  });
});

describe('weights', () => {
  function sequentialWith(inputShape: number[], args: LayerNormLayerArgs) {
    const model = tf.sequential();
    const layer = layerNormLayer({inputShape, name: 'norm', ...args});
    model.add(layer);
    return {model, layer};
  }

  test('gamma then beta, shaped as the op\'s param shape, made when inputShape is given', () => {
    const cases: Array<[number[], number|number[], number[]]> = [
      [[6], -1, [6]],
      [[3, 4, 5], 1, [3]],  // NCHW (batch first), MXNet's axis=1
      [[3, 4, 5], [1, 2, 3], [3, 4, 5]],
      [[3, 4, 5], [3, 1], [3, 5]],  // ascending axis order, as the op
      [[3, 4, 5], [-1, -3], [3, 5]],
    ];
    for (const [inputShape, axis, expected] of cases) {
      const {model, layer} = sequentialWith(inputShape, {axis});
      // No call has happened: model.add built the layer from inputShape.
      expect(layer.weights.map(w => w.originalName)).toEqual(['norm/gamma', 'norm/beta']);
      expect(layer.weights.map(w => w.shape)).toEqual([expected, expected]);
      expect(layer.trainableWeights.length).toBe(2);
      model.dispose();
    }
  });

  test('center: false / scale: false create no weight for that part', () => {
    const only = (args: LayerNormLayerArgs) => {
      const {model, layer} = sequentialWith([5], args);
      const names = layer.weights.map(w => w.originalName);
      model.dispose();
      return names;
    };
    expect(only({center: false})).toEqual(['norm/gamma']);
    expect(only({scale: false})).toEqual(['norm/beta']);
    expect(only({center: false, scale: false})).toEqual([]);
  });

  test('deferred (inChannels 0): weights come from the first input', () => {
    const layer = new LayerNorm({axis: 1});
    expect(layer.weights).toEqual([]);
    const y = layer.apply(tf.ones([2, 7, 3])) as tf.Tensor;
    expect(layer.weights.map(w => w.shape)).toEqual([[7], [7]]);
    y.dispose();
    expect(() => layer.apply(tf.ones([2, 6, 3])))
        .toThrow(/normalizes sizes \[7\] \(from its first input\) but the input of shape \[2,6,3\] has sizes \[6\] at axis \[1\]/);
    layer.dispose();
  });

  test('inChannels fixes the size: the product over several axes', () => {
    const layer = new LayerNorm({axis: [1, 2], inChannels: 12});
    const y = layer.apply(tf.ones([2, 3, 4])) as tf.Tensor;
    expect(layer.weights.map(w => w.shape)).toEqual([[3, 4], [3, 4]]);
    y.dispose();
    expect(() => layer.apply(tf.ones([2, 4, 3])))
        .toThrow(/normalizes inChannels = 12 elements, sizes \[3,4\] but the input of shape \[2,4,3\] has sizes \[4,3\]/);
    layer.dispose();

    const wrong = new LayerNorm({axis: -1, inChannels: 10});
    expect(() => wrong.apply(tf.ones([2, 8])))
        .toThrow(/inChannels is 10 but the input of shape \[2,8\] has 8 elements at axis \[1\]/);
    const model = tf.sequential();
    expect(() => model.add(layerNormLayer({inputShape: [3, 5], axis: [1, 2], inChannels: 16})))
        .toThrow(/inChannels is 16 .* has 15 elements at axis \[1,2\] \(sizes \[3,5\]\)/);
  });

  test('inChannels stands in for an unknown size; without it that is an error', () => {
    const input = tf.input({shape: [null]});
    const layer = new LayerNorm({inChannels: 6, name: 'norm'});
    const model = tf.model({inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor});
    expect(layer.weights.map(w => w.shape)).toEqual([[6], [6]]);
    tf.dispose(model.predict(tf.ones([2, 6])) as tf.Tensor);
    expect(() => model.predict(tf.ones([2, 5]))).toThrow(/inChannels = 6 elements.*has sizes \[5\]/);
    model.dispose();

    const unknown = tf.input({shape: [null]});
    expect(() => new LayerNorm().apply(unknown))
        .toThrow(/size at axis \[1\] must be known to create gamma and beta \(or give inChannels/);
  });

  test('initializers set the initial values (seeded ones reproducibly)', () => {
    const values = (args: LayerNormLayerArgs) => {
      const {model, layer} = sequentialWith([4], args);
      const v = layer.getWeights().map(w => Array.from(w.dataSync()));
      model.dispose();
      return v;
    };
    expect(values({})).toEqual([[1, 1, 1, 1], [0, 0, 0, 0]]);
    expect(values({gammaInitializer: tf.initializers.constant({value: 2}), betaInitializer: 'ones'}))
        .toEqual([[2, 2, 2, 2], [1, 1, 1, 1]]);
    const seeded = {gammaInitializer: {className: 'RandomNormal', config: {mean: 0, stddev: 1, seed: 11}}};
    const first = values(seeded), second = values(seeded);
    expect(first).toEqual(second);
    expect(new Set(first[0]).size).toBe(4);
  });

  test('getWeights / setWeights round trip, and the output uses the set values', () => {
    const {model, layer} = sequentialWith([3, 4], {axis: [1, 2], epsilon: 1e-3});
    const gamma = normalData(12, 1, 0.5, 1), beta = normalData(12, 2);
    layer.setWeights([tf.tensor(gamma, [3, 4]), tf.tensor(beta, [3, 4])]);
    const [g, b] = layer.getWeights();
    expect(Array.from(g.dataSync())).toEqual(Array.from(gamma));
    expect(Array.from(b.dataSync())).toEqual(Array.from(beta));
    const x = normalData(24, 3, 2, 1);
    const y = predictData(model, tf.tensor(x, [2, 3, 4]));
    expectClose(y, refForward(x, [2, 3, 4], [1, 2], gamma, beta, 1e-3).y, ATOL, RTOL);
    expect(() => layer.setWeights([tf.ones([4, 3]), tf.zeros([3, 4])])).toThrow(/shape/);
    model.dispose();
  });
});

describe('forward against the float64 reference', () => {
  const cases: Array<[string, number[], number|number[], number]> = [
    ['last axis', [4, 6], -1, 1e-5],
    ['NCHW channels (MXNet axis=1)', [2, 3, 4, 5], 1, 1e-5],
    ['axes [1,2,3]', [2, 3, 4, 5], [1, 2, 3], 1e-5],
    ['axes [0,-1] with epsilon 1e-2', [3, 2, 4], [0, -1], 1e-2],
  ];
  test.each(cases)('%s', (_name, shape, axis, epsilon) => {
    const layer = new LayerNorm({axis, epsilon});
    const x = normalData(sizeOf(shape), 5, 3, -1);
    const xt = tf.tensor(x, shape);
    tf.dispose(layer.apply(xt) as tf.Tensor);  // builds
    const [gammaShape] = layer.weights.map(w => w.shape as number[]);
    const gamma = normalData(sizeOf(gammaShape), 6), beta = normalData(sizeOf(gammaShape), 7);
    layer.setWeights([tf.tensor(gamma, gammaShape), tf.tensor(beta, gammaShape)]);
    const {result: y, leaked} = countTensors(() => layer.apply(xt) as tf.Tensor);
    expect(leaked).toBe(1);  // the output only
    expect(y.shape).toEqual(shape);
    expectClose(y.dataSync(), refForward(x, shape, axis, gamma, beta, epsilon).y, ATOL, RTOL);
    tf.dispose([y, xt]);
    layer.dispose();
  });

  test('without gamma and beta: plain normalization', () => {
    const layer = new LayerNorm({center: false, scale: false, axis: 1});
    const x = normalData(24, 8);
    const y = layer.apply(tf.tensor(x, [2, 3, 4])) as tf.Tensor;
    expectClose(y.dataSync(), refForward(x, [2, 3, 4], 1, null, null, 1e-5).y, ATOL, RTOL);
  });

  test('computeOutputShape is the input shape, unknown sizes included', () => {
    const layer = new LayerNorm({axis: 1});
    expect(layer.computeOutputShape([null, 3, null, 5])).toEqual([null, 3, null, 5]);
  });

  test('masks pass through (a masked RNN after it builds and runs)', () => {
    const model = tf.sequential({layers: [
      tf.layers.masking({maskValue: 0, inputShape: [4, 3]}),
      layerNormLayer({name: 'norm'}),
      tf.layers.simpleRNN({units: 2}),
    ]});
    const mask = tf.tensor([[1, 1, 0, 0]], [1, 4], 'bool');
    expect(model.getLayer('norm').computeMask(tf.ones([1, 4, 3]), mask)).toBe(mask);
    const x = tf.tensor(normalData(12, 9), [1, 4, 3]);
    expect(predictData(model, x).length).toBe(2);
    model.dispose();
  });
});

describe('in a model', () => {
  test('model.summary() shows the layer and its parameter count', () => {
    const model = tf.sequential({layers: [
      tf.layers.dense({units: 8, inputShape: [4], name: 'hidden'}),
      layerNormLayer({name: 'norm'}),
      tf.layers.dense({units: 1, name: 'out'}),
    ]});
    const lines: string[] = [];
    model.summary(100, undefined, (...msg: unknown[]) => lines.push(msg.join(' ')));
    const row = lines.find(l => l.startsWith('norm (LayerNorm)'));
    expect(row).toBeDefined();
    expect(row!.trim().split(/\s+/).pop()).toBe('16');  // gamma [8] + beta [8]
    expect(lines.join('\n')).toMatch(/Total params: 65\b/);  // 40 + 16 + 9
    expect(model.countParams()).toBe(65);
    model.dispose();
  });

  test('predict leaks no tensors', () => {
    const model = tf.sequential({layers: [
      tf.layers.dense({units: 6, inputShape: [4]}), layerNormLayer(),
    ]});
    const x = tf.ones([3, 4]);
    tf.dispose(model.predict(x) as tf.Tensor);  // first call warms caches
    const {leaked} = countTensors(() => tf.dispose(model.predict(x) as tf.Tensor));
    expect(leaked).toBe(0);
    tf.dispose(x);
    model.dispose();
  });
});

describe('the built-in LayerNormalization is left alone', () => {
  test('registered classes: ours under LayerNorm, the built-in still under LayerNormalization', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map['LayerNorm'][0]).toBe(LayerNorm);
    const builtin = tf.layers.layerNormalization({});
    expect(map['LayerNormalization'][0]).toBe(builtin.constructor);
    expect(builtin).not.toBeInstanceOf(LayerNorm);
  });

  test('a model using the built-in saves and loads as before', async () => {
    const model = tf.sequential({layers: [
      tf.layers.dense({units: 5, inputShape: [3]}),
      tf.layers.layerNormalization({axis: -1, epsilon: 1e-3}),
    ]});
    const artifacts = await saveToMemory(model);
    const layers = (artifacts.modelTopology as {config: {layers: Array<{class_name: string}>}}).config.layers;
    expect(layers.map(l => l.class_name)).toEqual(['Dense', 'LayerNormalization']);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(loaded.layers[1].getClassName()).toBe('LayerNormalization');
    expect(loaded.layers[1]).not.toBeInstanceOf(LayerNorm);
    const x = tf.tensor(normalData(6, 4), [2, 3]);
    expect(predictData(loaded, x)).toEqual(predictData(model, x));
    model.dispose();
    loaded.dispose();
  });
});
