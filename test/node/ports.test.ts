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
    ['PyTorch eps 0', () => LayerNorm.fromPyTorch({normalizedShape: 3, eps: 0}),
     /fromPyTorch: eps must be a finite number > 0; got 0/],
    ['Lucid names itself', () => LayerNorm.fromLucid({normalizedShape: []}), /fromLucid: normalizedShape/],
    ['Flax axisName', () => LayerNorm.fromFlax({axisName: 'batch'}),
     /fromFlax: axisName\/axisIndexGroups \(statistics across devices\) cannot be expressed/],
    ['Flax float16 reductions', () => LayerNorm.fromFlax({forceFloat32Reductions: false}),
     /fromFlax: forceFloat32Reductions: false cannot be expressed/],
    ['Flax bad useBias', () => LayerNorm.fromFlax({useBias: 1 as any}), /fromFlax: useBias must be true or false; got 1/],
    ['Flax empty reductionAxes', () => LayerNorm.fromFlax({reductionAxes: []}),
     /fromFlax: reductionAxes must be an integer or a non-empty array of integers; got \[\]/],
    ['MLX dims', () => LayerNorm.fromMLX({dims: 0}), /fromMLX: dims must be a positive integer/],
    ['Keras rms_scaling', () => LayerNorm.fromKeras({rms_scaling: true}),
     /fromKeras: rms_scaling: true .* cannot be expressed/],
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
     /fromMLX: unknown argument 'gamma'; expected weight, bias/],
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
        .toThrow(/setFrameworkWeights: framework must be one of pytorch, lucid, mlx, flax, keras, mxnet/);
    expect(tf.memory().numTensors).toBe(afterBuild);
    layer.weights.forEach(w => w.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});
