/**
 * Training with the LayerNorm layer on cpu: model.fit on a synthetic task,
 * and the gradients of gamma and beta inside a model against float64 finite
 * differences.
 */
import * as tf from '@tensorflow/tfjs';

import {LayerNorm, layerNormLayer} from '../../src';
import {finiteDifferences, normalData, refForward, sizeOf} from '../conformance/reference';
import {expectClose, refDense} from './layer_helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** y = sin(2 x.a) + 0.5 (x.b)^2 for 8 inputs: smooth, nonlinear. */
function syntheticTask(samples: number) {
  const x = normalData(samples * 8, 101);
  const a = normalData(8, 102, 0.4), b = normalData(8, 103, 0.4);
  const y = new Float32Array(samples);
  for (let s = 0; s < samples; s++) {
    let xa = 0, xb = 0;
    for (let i = 0; i < 8; i++) {
      xa += x[s * 8 + i] * a[i];
      xb += x[s * 8 + i] * b[i];
    }
    y[s] = Math.sin(2 * xa) + 0.5 * xb * xb;
  }
  return {xs: tf.tensor(x, [samples, 8]), ys: tf.tensor(y, [samples, 1])};
}

test('model.fit: the loss falls below 30% of its start; gamma and beta change; no leaks per fit', async () => {
  const model = tf.sequential({layers: [
    tf.layers.dense({units: 32, activation: 'relu', inputShape: [8], kernelInitializer: tf.initializers.glorotUniform({seed: 1})}),
    layerNormLayer({name: 'norm'}),
    tf.layers.dense({units: 1, kernelInitializer: tf.initializers.glorotUniform({seed: 2})}),
  ]});
  model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
  const {xs, ys} = syntheticTask(128);
  const norm = model.getLayer('norm') as LayerNorm;
  const [gamma0, beta0] = norm.getWeights().map(w => w.dataSync().slice());
  const lossOf = () => {
    const loss = model.evaluate(xs, ys) as tf.Scalar;
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  };
  const start = lossOf();

  await model.fit(xs, ys, {epochs: 1, batchSize: 32, shuffle: false});
  const afterFirstFit = tf.memory().numTensors;  // the optimizer's slots exist now
  const history = await model.fit(xs, ys, {epochs: 40, batchSize: 32, shuffle: false});
  expect(tf.memory().numTensors).toBe(afterFirstFit);

  const end = lossOf();
  expect(history.history.loss.length).toBe(40);
  expect(end).toBeLessThan(0.3 * start);
  const [gamma1, beta1] = norm.getWeights().map(w => w.dataSync());
  const maxChange = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
  expect(maxChange(gamma1, gamma0)).toBeGreaterThan(1e-2);
  expect(maxChange(beta1, beta0)).toBeGreaterThan(1e-2);
  tf.dispose([xs, ys]);
  model.dispose();
});

describe('gradients of gamma and beta inside a model vs float64 finite differences', () => {
  // Dense (last axis) -> LayerNorm -> mean squared error against targets.
  const cases: Array<[string, number[], number|number[]]> = [
    ['last axis', [4, 6], -1],
    ['axes [1,2] of a rank-3 input', [2, 3, 4], [1, 2]],
    ['channel axis 1 of an NCHW input', [2, 3, 2, 2], 1],
  ];
  test.each(cases)('%s', (_name, shape, axis) => {
    const units = shape[shape.length - 1], epsilon = 1e-3;
    const model = tf.sequential({layers: [
      tf.layers.dense({units, inputShape: shape.slice(1), name: 'proj'}),
      layerNormLayer({axis, epsilon, name: 'norm'}),
    ]});
    const norm = model.getLayer('norm') as LayerNorm;
    const paramShape = norm.weights[0].shape as number[];
    const kernel = normalData(units * units, 31, 0.5), bias = normalData(units, 32, 0.1);
    const gamma = normalData(sizeOf(paramShape), 33, 0.3, 1), beta = normalData(sizeOf(paramShape), 34, 0.2);
    model.setWeights([tf.tensor(kernel, [units, units]), tf.tensor(bias, [units]),
                      tf.tensor(gamma, paramShape), tf.tensor(beta, paramShape)]);
    const x = normalData(sizeOf(shape), 35), target = normalData(sizeOf(shape), 36);

    const [gammaVar, betaVar] = norm.trainableWeights.map(w => w.read() as tf.Variable);
    const before = tf.memory().numTensors;
    const {value, grads} = tf.variableGrads(() => tf.tidy(() => tf.losses.meanSquaredError(
        tf.tensor(target, shape), model.apply(tf.tensor(x, shape)) as tf.Tensor)), [gammaVar, betaVar]);

    const h = refDense(x, units, kernel, bias);
    const refLoss = (g: ArrayLike<number>, b: ArrayLike<number>) => {
      const y = refForward(h, shape, axis, g, b, epsilon).y;
      let sum = 0;
      for (let i = 0; i < y.length; i++) sum += (y[i] - target[i]) ** 2;
      return sum / y.length;
    };
    expectClose(value.dataSync(), [refLoss(gamma, beta)], 1e-6, 1e-5);
    const fdGamma = finiteDifferences(g => refLoss(g, beta), gamma, 1e-6);
    const fdBeta = finiteDifferences(b => refLoss(gamma, b), beta, 1e-6);
    expectClose(grads[gammaVar.name].dataSync(), fdGamma, 1e-6, 1e-4);
    expectClose(grads[betaVar.name].dataSync(), fdBeta, 1e-6, 1e-4);
    // The check has teeth: a gradient off by 1% somewhere fails it.
    const off = Float64Array.from(fdGamma);
    off[0] *= 1.01;
    off[0] += 1e-4;
    expect(() => expectClose(grads[gammaVar.name].dataSync(), off, 1e-6, 1e-4)).toThrow(/mismatch/);

    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
