/**
 * The ports' argument mapping, defaults, refusals and weight loading. Their
 * numbers against the real frameworks are in framework_parity.test.ts.
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {LayerNorm} from '../../src';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function config(layer: LayerNorm) {
  const c = layer.getConfig();
  return {axis: c.axis, epsilon: c.epsilon, center: c.center, scale: c.scale,
          inChannels: c.inChannels};
}

describe('defaults of each source framework', () => {
  test.each([
    ['PyTorch', () => LayerNorm.fromPyTorch({normalizedShape: 4}), 1e-5],
    ['Lucid', () => LayerNorm.fromLucid({normalizedShape: 4}), 1e-5],
    ['Flax', () => LayerNorm.fromFlax(), 1e-6],
    ['Flax ({})', () => LayerNorm.fromFlax({}), 1e-6],
    ['MLX', () => LayerNorm.fromMLX({dims: 4}), 1e-5],
    ['Keras', () => LayerNorm.fromKeras({}), 1e-3],
  ] as Array<[string, () => LayerNorm, number]>)('%s: epsilon %p, last axis, both parameters',
                                                 (_name, make, eps) => {
    const c = config(make());
    expect(c).toEqual(expect.objectContaining({axis: -1, epsilon: eps, center: true, scale: true}));
  });

  test('the exported default constants name them', () => {
    expect([lib.PYTORCH_DEFAULT_EPS, lib.FLAX_DEFAULT_EPSILON, lib.MLX_DEFAULT_EPS,
            lib.KERAS_DEFAULT_EPSILON]).toEqual([1e-5, 1e-6, 1e-5, 1e-3]);
  });
});

describe('argument mapping', () => {
  test('PyTorch normalizedShape: the trailing axes, inChannels their product', () => {
    expect(config(LayerNorm.fromPyTorch({normalizedShape: [2, 3, 4], eps: 1e-6})))
        .toEqual({axis: [-3, -2, -1], epsilon: 1e-6, center: true, scale: true, inChannels: 24});
    expect(config(LayerNorm.fromPyTorch({normalizedShape: [5]})).axis).toBe(-1);
  });

  test('PyTorch elementwiseAffine off drops both parameters, bias off only beta', () => {
    expect(config(LayerNorm.fromPyTorch({normalizedShape: 3, elementwiseAffine: false})))
        .toEqual(expect.objectContaining({center: false, scale: false}));
    expect(config(LayerNorm.fromPyTorch({normalizedShape: 3, elementwiseAffine: false, bias: true})))
        .toEqual(expect.objectContaining({center: false, scale: false}));
    expect(config(LayerNorm.fromPyTorch({normalizedShape: 3, bias: false})))
        .toEqual(expect.objectContaining({center: false, scale: true}));
  });

  test('MLX dims/affine/bias', () => {
    expect(config(LayerNorm.fromMLX({dims: 8, eps: 1e-4, affine: true, bias: false})))
        .toEqual({axis: -1, epsilon: 1e-4, center: false, scale: true, inChannels: 8});
    expect(config(LayerNorm.fromMLX({dims: 8, affine: false})))
        .toEqual(expect.objectContaining({center: false, scale: false}));
  });

  test('Flax: reductionAxes are the axis; featureAxes only when they differ', () => {
    expect(lib.flaxLayerNormArgs({reductionAxes: [1, 2], featureAxes: [2, 1]}))
        .toEqual(expect.objectContaining({axis: [1, 2], epsilon: 1e-6}));
    expect(lib.flaxLayerNormArgs({reductionAxes: [1, 2], featureAxes: [2, 1]}))
        .not.toHaveProperty('featureAxes');
    // Flax's feature_axes default is -1 whatever reduction_axes is.
    expect(lib.flaxLayerNormArgs({reductionAxes: [1, 2, 3]}))
        .toEqual(expect.objectContaining({axis: [1, 2, 3], featureAxes: -1}));
    expect(lib.flaxLayerNormArgs({useBias: false, useScale: false, useFastVariance: false}))
        .toEqual(expect.objectContaining({center: false, scale: false}));
  });

  test('Keras: snake_case, camelCase and the {class_name, config} entry read the same', () => {
    const snake = {name: 'ln', axis: [1, 2], epsilon: 1e-4, center: false, scale: true,
                   gamma_initializer: {module: 'keras.initializers', class_name: 'Constant',
                                       config: {value: 2}, registered_name: null},
                   dtype: {module: 'keras', class_name: 'DTypePolicy', config: {name: 'float32'}},
                   rms_scaling: false, trainable: true};
    const fromSnake = LayerNorm.fromKeras(snake);
    const fromEntry = LayerNorm.fromKeras({class_name: 'LayerNormalization', config: snake});
    const fromCamel = LayerNorm.fromKeras({name: 'ln2', axis: [1, 2], epsilon: 1e-4, center: false,
                                           gammaInitializer: {className: 'Constant',
                                                              config: {value: 2}}});
    for (const layer of [fromSnake, fromEntry, fromCamel]) {
      expect(config(layer)).toEqual(expect.objectContaining(
          {axis: [1, 2], epsilon: 1e-4, center: false, scale: true}));
      expect(layer.getConfig().gammaInitializer).toEqual({className: 'Constant', config: {value: 2}});
    }
    expect(fromSnake.name).toBe('ln');
  });
});

describe('refusals name the argument and the expected form, and leak nothing', () => {
  test.each([
    ['PyTorch normalizedShape missing', () => LayerNorm.fromPyTorch({} as lib.PyTorchLayerNormArgs),
     /fromPyTorch: normalizedShape must be a positive integer or a non-empty array/],
    ['PyTorch unknown key', () => LayerNorm.fromPyTorch({normalizedShape: 3, normalized_shape: 3} as any),
     /fromPyTorch: unknown argument 'normalized_shape'; expected normalizedShape, eps/],
    ['PyTorch float64', () => LayerNorm.fromPyTorch({normalizedShape: 3, dtype: 'float64'}),
     /fromPyTorch: dtype must be 'float32'/],
    ['PyTorch eps negative', () => LayerNorm.fromPyTorch({normalizedShape: 3, eps: -1e-5}),
     /fromPyTorch: eps must be 0 or a number in \[1.1754943508222875e-38, 3.4028234663852886e\+38\] \(float32's normal range\); got -0.00001/],
    ['Flax epsilon NaN', () => LayerNorm.fromFlax({epsilon: NaN}),
     /fromFlax: epsilon must be 0 or a number in \[1.1754943508222875e-38, 3.4028234663852886e\+38\] \(float32's normal range\); got NaN/],
    ['MLX eps 0 (mlx.nn.LayerNorm refuses it too)', () => LayerNorm.fromMLX({dims: 3, eps: 0}),
     /fromMLX: eps must be a finite number > 0 \(mlx.nn.LayerNorm refuses 0\); got 0/],
    ['Lucid names itself', () => LayerNorm.fromLucid({normalizedShape: []}), /fromLucid: normalizedShape/],
    ['Flax axisName', () => LayerNorm.fromFlax({axisName: 'batch'}),
     /fromFlax: axisName\/axisIndexGroups \(statistics across devices\) cannot be expressed/],
    ['Flax float16 reductions', () => LayerNorm.fromFlax({forceFloat32Reductions: false}),
     /fromFlax: forceFloat32Reductions: false cannot be expressed/],
    ['Flax bad useBias', () => LayerNorm.fromFlax({useBias: 1 as any}), /fromFlax: useBias must be true or false; got 1/],
    ['Flax empty reductionAxes', () => LayerNorm.fromFlax({reductionAxes: []}),
     /fromFlax: reductionAxes must be an integer or a non-empty array of integers; got \[\]/],
    ['MLX dims', () => LayerNorm.fromMLX({dims: 0}), /fromMLX: dims must be a positive integer/],
    ['Keras rms_scaling not a boolean', () => LayerNorm.fromKeras({rms_scaling: 1}),
     /fromKeras: rms_scaling must be true or false; got 1/],
    ['Keras axis naming one axis twice', () => LayerNorm.fromKeras({axis: [1, 2, 1]}),
     /fromKeras: axis must hold distinct axes; \[1,2,1\] names 1 twice/],
    ['Keras other class', () => LayerNorm.fromKeras({class_name: 'BatchNormalization', config: {}}),
     /fromKeras: expected a LayerNormalization; got class_name "BatchNormalization"/],
    ['Keras unknown key', () => LayerNorm.fromKeras({momentum: 0.9}),
     /fromKeras: unknown LayerNormalization config key 'momentum'/],
    ['weights for a parameter the layer lacks',
     () => LayerNorm.fromPyTorch({normalizedShape: 2, bias: false}, {weight: [1, 2], bias: [0, 0]}),
     /fromPyTorch: weights must hold exactly 'weight' for these arguments; got 'bias' too/],
    ['weights missing one', () => LayerNorm.fromFlax({}, {scale: [1, 2]}),
     /fromFlax: weights must hold exactly 'scale' and 'bias' for these arguments; 'bias' is missing/],
    ['weights under another framework\'s name', () => LayerNorm.fromMLX({dims: 2}, {gamma: [1, 2]} as any),
     /fromMLX: unknown key of weights 'gamma'; expected weight, bias/],
    ['PyTorch weight of the wrong shape',
     () => LayerNorm.fromPyTorch({normalizedShape: [2, 3]}, {weight: [[1, 1], [1, 1], [1, 1]], bias: [[0, 0, 0], [0, 0, 0]]}),
     /fromPyTorch: weights.weight must have shape \[2,3\] \(normalizedShape\); got \[3,2\]/],
    ['PyTorch bias of the wrong shape', () => LayerNorm.fromPyTorch({normalizedShape: 4}, {weight: [1, 1, 1, 1], bias: [0, 0, 0]}),
     /fromPyTorch: weights.bias must have shape \[4\] \(normalizedShape\); got \[3\]/],
    ['MLX weight of the wrong shape', () => LayerNorm.fromMLX({dims: 3, bias: false}, {weight: [[1, 1, 1]]}),
     /fromMLX: weights.weight must have shape \[3\] \(dims\); got \[1,3\]/],
    ['a weight that is not numbers', () => LayerNorm.fromFlax({useBias: false}, {scale: ['a'] as any}),
     /fromFlax: weights.scale must be a float32 tf.Tensor or a nested array of numbers; got \["a"\]/],
  ] as Array<[string, () => unknown, RegExp]>)('%s', (_name, make, message) => {
    const before = tf.memory().numTensors;
    expect(make).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('weights under the framework\'s names', () => {
  const x = () => tf.tensor([[1, 2, 4], [3, 3, 0]]);

  test('given to the constructor, applied on build (PyTorch weight/bias)', () => {
    const layer = LayerNorm.fromPyTorch({normalizedShape: 3}, {weight: [1, 2, 3], bias: [0.5, 0, -1]});
    const input = x();
    const y = layer.apply(input) as tf.Tensor;
    const want = lib.layerNorm(input, [1, 2, 3], [0.5, 0, -1]);
    expect(Array.from(y.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([input, y, want]);
  });

  test('Keras gamma shaped by an unsorted axis list is read in ascending axis order', () => {
    // Keras sizes gamma [d3, d1] for axis [3, 1] but reads its elements as [d1, d3].
    const gamma = tf.tensor(Array.from({length: 6}, (_, i) => i + 1), [3, 2]);
    const layer = LayerNorm.fromKeras({axis: [3, 1], epsilon: 1e-3, center: false});
    layer.build([2, 2, 2, 3]);
    lib.setFrameworkWeights(layer, 'keras', {gamma});
    expect(layer.getWeights()[0].shape).toEqual([2, 3]);
    expect(Array.from(layer.getWeights()[0].dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    tf.dispose(gamma);
    layer.weights.forEach(w => w.dispose());
  });

  test('setFrameworkWeights refuses an unbuilt layer, a wrong shape, an unknown framework', () => {
    const before = tf.memory().numTensors;
    const layer = LayerNorm.fromFlax({});
    expect(() => lib.setFrameworkWeights(layer, 'flax', {scale: [1], bias: [0]}))
        .toThrow(/setFrameworkWeights: layer '.*' is not built yet/);
    layer.build([2, 3]);
    const afterBuild = tf.memory().numTensors;
    expect(() => lib.setFrameworkWeights(layer, 'flax', {scale: [1, 2], bias: [0, 0]}))
        .toThrow(/shape/);
    expect(() => lib.setFrameworkWeights(layer, 'caffe' as any, {}))
        .toThrow(/setFrameworkWeights: framework must be one of 'pytorch', 'lucid', 'mlx', 'flax', 'keras', 'mxnet'; got "caffe"/);
    expect(tf.memory().numTensors).toBe(afterBuild);
    layer.weights.forEach(w => w.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** Runs `make`, expecting `message`, and checks that no tensor is left behind. */
function expectRefusalWithoutLeak(make: () => unknown, message: RegExp) {
  const before = tf.memory().numTensors;
  expect(make).toThrow(message);
  expect(tf.memory().numTensors).toBe(before);
}

describe('errors at build speak the port\'s vocabulary and leak nothing (issue 20)', () => {
  const x = tf.zeros([2, 4]);
  const x4 = tf.zeros([2, 2, 2, 3]);
  afterAll(() => tf.dispose([x, x4]));

  test('a wrong normalizedShape names normalizedShape, not inChannels', () => {
    expectRefusalWithoutLeak(() => LayerNorm.fromPyTorch({normalizedShape: 5}).apply(x),
                             /fromPyTorch \(layer '.*'\): normalizedShape 5 must equal the input's last size; got an input of shape \[2,4\]/);
    expectRefusalWithoutLeak(() => LayerNorm.fromPyTorch({normalizedShape: [4, 2]}).apply(x),
                             /fromPyTorch .*: normalizedShape \[4,2\] must equal the input's last 2 sizes; got an input of shape \[2,4\]/);
    // With its weights given: they are released with the refusal.
    expectRefusalWithoutLeak(
        () => LayerNorm.fromPyTorch({normalizedShape: [3, 4]}, {weight: [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]],
                                                               bias: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]})
                  .apply(x),
        /normalizedShape \[3,4\] must equal the input's last 2 sizes/);
    expectRefusalWithoutLeak(() => LayerNorm.fromMLX({dims: 3}, {weight: [1, 2, 3], bias: [0, 0, 0]}).apply(x),
                             /fromMLX .*: dims 3 must equal the input's last size; got an input of shape \[2,4\]/);
  });

  test('weights of the wrong shape name the framework\'s weight, the expected and the given shape', () => {
    expectRefusalWithoutLeak(() => LayerNorm.fromFlax({}, {scale: [1, 2, 3], bias: [0, 0, 0, 0]}).apply(x),
                             /fromFlax: weights.scale must have shape \[4\] \(the input's sizes at reductionAxes -1\); got \[3\]/);
    expectRefusalWithoutLeak(
        () => LayerNorm.fromFlax({reductionAxes: [1, 2, 3], featureAxes: [1]}, {scale: [1, 2, 3], bias: [0, 0, 0]}).apply(x4),
        /fromFlax: weights.scale must have shape \[2\] \(the input's sizes at featureAxes \[1\]\); got \[3\]/);
    expectRefusalWithoutLeak(
        () => LayerNorm.fromKeras({axis: [3, 1]}, {gamma: [[1, 1, 1], [1, 1, 1]], beta: [1, 2, 3, 4, 5, 6]}).apply(x4),
        /fromKeras: weights.beta must have shape \[2,3\] or \[3,2\] \(the input's sizes at axis \[3,1\] in ascending axis order, in the list's order \(tf-keras\) or in the list's sorted order \(Keras 3\)\); got \[6\]/);
    expectRefusalWithoutLeak(() => LayerNorm.fromKeras({}, {gamma: [1, 2], beta: [0, 0]}).apply(x),
                             /fromKeras: weights.gamma must have shape \[4\] \(the input's sizes at axis -1\); got \[2\]/);
  });

  test('setFrameworkWeights names the framework\'s weight, expected and given shape, and leaks nothing', () => {
    const cases: Array<[string, () => LayerNorm, string, {[name: string]: number[]}, RegExp]> = [
      ['pytorch', () => LayerNorm.fromPyTorch({normalizedShape: 4}), 'pytorch', {weight: [1, 2, 3, 4], bias: [0, 0]},
       /setFrameworkWeights: weights.bias must have shape \[4\]/],
      ['mlx', () => LayerNorm.fromMLX({dims: 4, bias: false}), 'mlx', {weight: [1, 2]},
       /setFrameworkWeights: weights.weight must have shape \[4\] .*; got \[2\]/],
      ['flax', () => LayerNorm.fromFlax({useBias: false}), 'flax', {scale: [1]},
       /setFrameworkWeights: weights.scale must have shape \[4\] .*; got \[1\]/],
      ['mxnet', () => new LayerNorm({center: false}), 'mxnet', {gamma: [1, 2, 3]},
       /setFrameworkWeights: weights.gamma must have shape \[4\] .*; got \[3\]/],
    ];
    for (const [, make, framework, weights, message] of cases) {
      const layer = make();
      layer.build([2, 4]);
      expectRefusalWithoutLeak(() => lib.setFrameworkWeights(layer, framework as 'flax', weights), message);
      layer.weights.forEach(w => w.dispose());
    }
  });

  test('setFrameworkWeights with an Object.prototype key as framework names the accepted ones', () => {
    const layer = LayerNorm.fromFlax();
    layer.build([2, 3]);
    for (const framework of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
      expectRefusalWithoutLeak(
          () => lib.setFrameworkWeights(layer, framework as 'flax', {scale: [1, 2, 3], bias: [0, 0, 0]}),
          new RegExp(`setFrameworkWeights: framework must be one of 'pytorch', 'lucid', 'mlx', 'flax', ` +
                     `'keras', 'mxnet'; got "${framework}"`));
    }
    expectRefusalWithoutLeak(() => lib.setFrameworkWeights({} as LayerNorm, 'flax', {}),
                             /setFrameworkWeights: layer must be a LayerNorm; got \{\}/);
    layer.weights.forEach(w => w.dispose());
  });

  test('a string tensor as a weight is refused, naming it', () => {
    const gamma = tf.tensor(['a']);
    expectRefusalWithoutLeak(() => LayerNorm.fromKeras({center: false}, {gamma}),
                             /fromKeras: weights.gamma must be a float32 tf.Tensor or a nested array of numbers; got a string tensor/);
    gamma.dispose();
  });

  test('weights given to a port are released once applied, the caller\'s own kept', () => {
    const weight = tf.tensor([1, 2, 3, 4]);
    const before = tf.memory().numTensors;
    const layer = LayerNorm.fromPyTorch({normalizedShape: 4, bias: false}, {weight});
    const y = layer.apply(x) as tf.Tensor;
    y.dispose();
    // Only the layer's own variable is left; the caller's tensor is intact.
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(layer.getWeights()[0].dataSync())).toEqual([1, 2, 3, 4]);
    expect(weight.isDisposed).toBe(false);
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    weight.dispose();
  });
});

describe('epsilon 0, as PyTorch, Flax, MXNet and Keras accept it', () => {
  test.each([
    ['PyTorch', () => LayerNorm.fromPyTorch({normalizedShape: 4, eps: 0})],
    ['Flax', () => LayerNorm.fromFlax({epsilon: 0})],
    ['Keras', () => LayerNorm.fromKeras({epsilon: 0})],
    ['MXNet (the layer)', () => new LayerNorm({epsilon: 0})],
  ] as Array<[string, () => LayerNorm]>)('%s: a constant row gives 0 / 0 = NaN, others normalize', (_name, make) => {
    const layer = make();
    expect(layer.epsilon).toBe(0);
    const x = tf.tensor([[3, 3, 3, 3], [1, 2, 3, 4]]);
    const y = layer.apply(x) as tf.Tensor;
    const values = Array.from(y.dataSync());
    expect(values.slice(0, 4).every(Number.isNaN)).toBe(true);
    // (x - 2.5) / sqrt(1.25), float64.
    const expected = [1, 2, 3, 4].map(v => (v - 2.5) / Math.sqrt(1.25));
    values.slice(4).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-6));
    tf.dispose([x, y]);
    layer.dispose();
  });
});

describe('axis lists mixing signs (Keras accepts them)', () => {
  test('normalized against the input\'s rank in the op, the layer and the Keras and Flax ports', () => {
    const x = tf.randomNormal([2, 3, 2, 4], 0, 1, 'float32', 7);
    const want = lib.layerNorm(x, null, null, {axis: [1, 3]});
    const layers = [new LayerNorm({axis: [-1, 1], center: false, scale: false}),
                    LayerNorm.fromKeras({axis: [-1, 1], epsilon: 1e-5, center: false, scale: false}),
                    LayerNorm.fromFlax({reductionAxes: [1, -1], epsilon: 1e-5, useBias: false, useScale: false})];
    const expected = want.dataSync();
    for (const y of [lib.layerNorm(x, null, null, {axis: [-1, 1]}), ...layers.map(l => l.apply(x) as tf.Tensor)]) {
      y.dataSync().forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-6));
      y.dispose();
    }
    tf.dispose([x, want]);
  });

  test('Keras gamma for axis [-1, 1] (shaped [d3, d1] by both Kerases) is read flat in ascending order', () => {
    const gamma = Array.from({length: 12}, (_, i) => i + 1);
    const rows = [0, 1, 2, 3].map(r => gamma.slice(3 * r, 3 * r + 3));  // shaped [4, 3]
    const layer = LayerNorm.fromKeras({axis: [-1, 1], center: false}, {gamma: rows});
    layer.build([2, 3, 2, 4]);
    expect(layer.getWeights()[0].shape).toEqual([3, 4]);
    expect(Array.from(layer.getWeights()[0].dataSync())).toEqual(gamma);
    layer.weights.forEach(w => w.dispose());
  });

  test('only real duplicates after normalization are refused, in the port\'s words', () => {
    const x = tf.zeros([2, 2, 2, 3]);
    expectRefusalWithoutLeak(() => LayerNorm.fromKeras({axis: [-1, 3]}, {gamma: [1, 2, 3], beta: [0, 0, 0]}).apply(x),
                             /fromKeras \(layer '.*'\): axis must hold distinct axes; \[-1, 3\] names axis 3 twice/);
    expectRefusalWithoutLeak(() => LayerNorm.fromFlax({reductionAxes: [1, -3]}).apply(x),
                             /fromFlax \(layer '.*'\): reductionAxes must hold distinct axes; \[1, -3\] names axis 1 twice/);
    expectRefusalWithoutLeak(() => new LayerNorm({axis: [-1, 3]}).apply(x),
                             /LayerNorm '.*': axis must hold distinct axes; \[-1, 3\] names axis 3 twice/);
    x.dispose();
  });
});

describe('Keras 3 and tf-keras layouts of gamma/beta for an unsorted axis list', () => {
  // axis [3, 1] of [2, 2, 2, 3]: tf-keras stores [d3, d1] = [3, 2], Keras 3 (sorted) [d1, d3] = [2, 3];
  // both apply the same flat list in ascending axis order.
  const flat = [1, 2, 3, 4, 5, 6];
  test.each([
    ['Keras 3 layout [2, 3]', [2, 3]],
    ['tf-keras layout [3, 2]', [3, 2]],
  ])('%s: given to fromKeras and to setFrameworkWeights', (_name, shape) => {
    const before = tf.memory().numTensors;
    const given = shape[0] === 2 ? [flat.slice(0, 3), flat.slice(3)] : [flat.slice(0, 2), flat.slice(2, 4), flat.slice(4)];
    const layer = LayerNorm.fromKeras({axis: [3, 1]}, {gamma: given, beta: given});
    layer.build([2, 2, 2, 3]);
    for (const w of layer.getWeights()) {
      expect(w.shape).toEqual([2, 3]);
      expect(Array.from(w.dataSync())).toEqual(flat);
    }
    const gamma = tf.tensor(flat.map(v => -v), shape);
    lib.setFrameworkWeights(layer, 'keras', {gamma, beta: gamma});
    expect(Array.from(layer.getWeights()[0].dataSync())).toEqual(flat.map(v => -v));
    gamma.dispose();
    layer.weights.forEach(w => w.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Keras 3 rms_scaling', () => {
  test('maps to rmsScaling with gamma always and no beta, as Keras 3 builds it', () => {
    const layer = LayerNorm.fromKeras({rms_scaling: true, center: true, scale: false,
                                       beta_initializer: {class_name: 'Constant', config: {value: 3}}});
    expect(config(layer)).toEqual(expect.objectContaining({center: false, scale: true}));
    expect(layer.getConfig()).toEqual(expect.objectContaining({rmsScaling: true,
                                                               betaInitializer: {className: 'Zeros', config: {}}}));
    expect(new LayerNorm().getConfig()).not.toHaveProperty('rmsScaling');
  });

  test('rms_scaling survives a save and load (model.json says rms_scaling: true)', async () => {
    const layer = LayerNorm.fromKeras({rms_scaling: true, batch_input_shape: [null, 4]}, {gamma: [0.5, 1, 2, -1]});
    const model = tf.sequential({layers: [layer]});
    let saved: tf.io.ModelArtifacts|null = null;
    await model.save(tf.io.withSaveHandler(async artifacts => {
      saved = artifacts;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }));
    const entry = (saved!.modelTopology as {config: {layers: Array<{config: {[key: string]: unknown}}>}})
                      .config.layers[0].config;
    expect(entry.rms_scaling).toBe(true);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect((loaded.layers[0] as LayerNorm).rmsScaling).toBe(true);
    const x = tf.tensor([[1, 2, 4, 9]]);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  test('computes x · rsqrt(var + ε) · γ (float64 reference), x not centered', () => {
    const rows = [[1, 2, 4, 9], [-3, 0, 5, 5]];
    const gamma = [0.5, 1, 2, -1];
    const layer = LayerNorm.fromKeras({rms_scaling: true, epsilon: 1e-3}, {gamma});
    const x = tf.tensor(rows);
    const y = layer.apply(x) as tf.Tensor;
    const expected = rows.flatMap(r => {
      const mean = r.reduce((a, b) => a + b) / r.length;
      const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length;
      return r.map((v, i) => v / Math.sqrt(variance + 1e-3) * gamma[i]);
    });
    Array.from(y.dataSync()).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-5));
    tf.dispose([x, y]);
    layer.dispose();
  });
});

describe('MXNet Gluon: center/scale off keep beta/gamma frozen at their initializer\'s value', () => {
  const x = () => tf.tensor([[1, 2, 3, 4]]);
  const normalized = [1, 2, 3, 4].map(v => (v - 2.5) / Math.sqrt(1.25 + 1e-5));

  test('center off with beta Constant(0.5): the issue\'s example, beta frozen', async () => {
    const layer = new LayerNorm({center: false, betaInitializer: {className: 'Constant', config: {value: 0.5}}});
    const input = x();
    const y = layer.apply(input) as tf.Tensor;
    // MXNet 1.9.1 gives [-0.842, 0.053, 0.947, 1.842].
    Array.from(y.dataSync()).forEach((v, i) => expect(Math.abs(v - (normalized[i] + 0.5))).toBeLessThan(1e-6));
    expect(layer.trainableWeights.map(w => w.originalName)).toEqual([expect.stringMatching(/gamma$/)]);
    expect(layer.nonTrainableWeights.map(w => w.originalName)).toEqual([expect.stringMatching(/beta$/)]);
    expect(layer.heldParameters()).toEqual([true, true]);
    tf.dispose([input, y]);
    layer.dispose();
  });

  test('the frozen beta is saved as a non-trainable weight and loads back', async () => {
    const model = tf.sequential({layers: [new LayerNorm({
      inputShape: [4], center: false, betaInitializer: {className: 'Constant', config: {value: 0.5}}})]});
    let saved: tf.io.ModelArtifacts|null = null;
    await model.save(tf.io.withSaveHandler(async artifacts => {
      saved = artifacts;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }));
    expect(saved!.weightSpecs!.map(w => [w.name.replace(/^.*\//, ''), w.shape])).toEqual([['gamma', [4]], ['beta', [4]]]);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.layers[0].nonTrainableWeights.map(w => w.shape)).toEqual([[4]]);
    const input = x();
    const y = loaded.predict(input) as tf.Tensor;
    Array.from(y.dataSync()).forEach((v, i) => expect(Math.abs(v - (normalized[i] + 0.5))).toBeLessThan(1e-6));
    tf.dispose([input, y]);
    model.dispose();
    loaded.dispose();
  });

  test('scale off with gamma Constant(2)', () => {
    const layer = new LayerNorm({scale: false, gammaInitializer: {className: 'Constant', config: {value: 2}}});
    const input = x();
    const y = layer.apply(input) as tf.Tensor;
    Array.from(y.dataSync()).forEach((v, i) => expect(Math.abs(v - 2 * normalized[i])).toBeLessThan(1e-6));
    expect(layer.trainableWeights.map(w => w.originalName)).toEqual([expect.stringMatching(/beta$/)]);
    tf.dispose([input, y]);
    layer.dispose();
  });

  test('identity initializers (the defaults, Constant(0) / Constant(1)) add no weight, as before', () => {
    for (const args of [{center: false}, {scale: false}, {center: false, scale: false},
                        {center: false, betaInitializer: {className: 'Constant', config: {value: 0}}},
                        {scale: false, gammaInitializer: 'ones'}]) {
      const layer = new LayerNorm(args);
      layer.build([2, 4]);
      expect(layer.weights.length).toBe(2 - (args.center === false ? 1 : 0) - ((args as {scale?: boolean}).scale === false ? 1 : 0));
      layer.weights.forEach(w => w.dispose());
    }
  });

  test('setFrameworkWeights \'mxnet\' takes the frozen parameter too, as Gluon\'s params hold it', () => {
    const layer = new LayerNorm({center: false, betaInitializer: {className: 'Constant', config: {value: 0.5}}});
    layer.build([1, 4]);
    expectRefusalWithoutLeak(() => lib.setFrameworkWeights(layer, 'mxnet', {gamma: [1, 2, 3, 4]}),
                             /setFrameworkWeights: weights must hold exactly 'gamma' and 'beta' .*'beta' is missing/);
    lib.setFrameworkWeights(layer, 'mxnet', {gamma: [1, 2, 3, 4], beta: [4, 3, 2, 1]});
    expect(layer.getWeights().map(w => Array.from(w.dataSync()))).toEqual([[1, 2, 3, 4], [4, 3, 2, 1]]);
    layer.weights.forEach(w => w.dispose());
  });

  test('Keras never keeps a disabled parameter, so fromKeras drops its initializer', () => {
    const layer = LayerNorm.fromKeras({center: false, beta_initializer: {class_name: 'Constant', config: {value: 0.5}}});
    layer.build([2, 4]);
    expect(layer.heldParameters()).toEqual([true, false]);
    layer.weights.forEach(w => w.dispose());
  });
});
