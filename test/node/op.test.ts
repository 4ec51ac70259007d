/**
 * The op's contract beyond the conformance cases: argument checks, dtypes,
 * edge shapes, dispatch, leaks. cpu backend.
 */
import * as tf from '@tensorflow/tfjs';

import {layerNorm, LayerNormKernel, layerNormWithStats} from '../../src';
import {kernelsSupport} from '../../src/kernel_names';
import {compare, finiteDifferences, normalData, refForward, refGrads, refLoss} from '../conformance/reference';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Runs f and checks it leaves the tensor count as it found it. */
function expectNoLeak(f: () => void) {
  const before = tf.memory().numTensors;
  f();
  expect(tf.memory().numTensors).toBe(before);
}

describe('the float64 reference itself', () => {
  test('its analytic gradients match its finite differences (rtol 1e-6)', () => {
    const shape = [3, 4, 5], axis = [0, 2], eps = 1e-3;
    const x = normalData(60, 1), gamma = normalData(15, 2), beta = normalData(15, 3);
    const w = {wy: normalData(60, 4), wMean: normalData(4, 5), wInvStd: normalData(4, 6)};
    const g = refGrads(x, shape, axis, gamma, eps, w);
    const fd = (v: Float64Array) => refLoss(v, shape, axis, gamma, beta, eps, w);
    expect(compare(g.dx, finiteDifferences(fd, x, 1e-6), 1e-6, 1e-6).ratio).toBeLessThan(1);
    const fdGamma = finiteDifferences(v => refLoss(x, shape, axis, v, beta, eps, w), gamma, 1e-6);
    expect(compare(g.dGamma, fdGamma, 1e-6, 1e-6).ratio).toBeLessThan(1);
  });

  test('a wrong gradient would be caught: perturbing one element fails the check', () => {
    const shape = [2, 5], axis = -1;
    const x = normalData(10, 7);
    const w = {wy: normalData(10, 8), wMean: null, wInvStd: null};
    const g = refGrads(x, shape, axis, null, 1e-5, w);
    g.dx[3] += 1e-3;
    const fd = finiteDifferences(v => refLoss(v, shape, axis, null, null, 1e-5, w), x, 1e-6);
    expect(compare(g.dx, fd, 1e-5, 1e-5).ratio).toBeGreaterThan(1);
  });
});

describe('argument checks', () => {
  const x = () => tf.tensor(normalData(24, 1), [2, 3, 4]);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['axis out of range', () => layerNorm(x(), null, null, {axis: 3}), /axis must be .*\[-3, 2\].*got 3/],
    ['negative axis out of range', () => layerNorm(x(), null, null, {axis: -4}), /axis must be/],
    ['repeated axis', () => layerNorm(x(), null, null, {axis: [1, -2]}), /axis must hold distinct axes.*axis 1 twice/],
    ['non-integer axis', () => layerNorm(x(), null, null, {axis: 1.5}), /axis must be an integer/],
    ['empty axis list', () => layerNorm(x(), null, null, {axis: []}), /axis must be/],
    ['gamma of the wrong shape', () => layerNorm(x(), tf.ones([3]), null), /gamma must have shape \[4\].*got \[3\]/],
    ['beta of the wrong shape', () => layerNorm(x(), null, tf.zeros([4, 1])), /beta must have shape \[4\].*got \[4,1\]/],
    ['gamma for several axes in the wrong order', () => layerNorm(x(), tf.ones([4, 3]), null, {axis: [2, 1]}), /gamma must have shape \[3,4\]/],
    ['gamma of dtype bool', () => layerNorm(x(), tf.ones([4], 'bool'), null), /gamma must have dtype float32.*got bool/],
    ['epsilon negative', () => layerNorm(x(), null, null, {epsilon: -1e-5}),
     /epsilon must be 0 or a number in \[1.1754943508222875e-38, 3.4028234663852886e\+38\] .*got -0.00001/],
    ['epsilon above float32\'s max', () => layerNorm(x(), null, null, {epsilon: 3.41e38}),
     /epsilon must be 0 or a number in \[.*, 3.4028234663852886e\+38\].*got 3.41e\+38/],
    ['epsilon below float32\'s smallest normal', () => layerNorm(x(), null, null, {epsilon: 1e-45}),
     /epsilon must be 0 or a number in \[1.1754943508222875e-38, .*float32's normal range.*got 1e-45/],
    ['epsilon the smallest double', () => layerNorm(x(), null, null, {epsilon: 5e-324}), /epsilon must be .*got 5e-324/],
    ['epsilon a tiny negative number', () => layerNorm(x(), null, null, {epsilon: -1e-300}), /epsilon must be/],
    ['epsilon NaN', () => layerNorm(x(), null, null, {epsilon: NaN}), /epsilon must be .*NaN/],
    ['epsilon Infinity', () => layerNorm(x(), null, null, {epsilon: Infinity}), /epsilon must be/],
    ['epsilon a string', () => layerNorm(x(), null, null, {epsilon: '1e-5' as unknown as number}), /epsilon must be/],
    ['x of dtype string', () => layerNorm(tf.tensor(['a', 'b']), null, null), /x must have dtype float32.*got string/],
    ['x of dtype bool', () => layerNorm(tf.tensor([true, false]), null, null), /x must have dtype float32.*got bool/],
    ['x of dtype complex64', () => layerNorm(tf.complex([1, 2], [3, 4]), null, null), /x must have dtype float32.*got complex64/],
    ['x a scalar', () => layerNorm(tf.scalar(1), null, null), /x must have rank >= 1/],
    ['x not a tensor', () => layerNorm('abc' as unknown as tf.Tensor), /x must be a tf.Tensor or a nested array/],
    ['x a disposed tensor', () => { const t = tf.ones([2]); t.dispose(); return layerNorm(t); }, /x is a disposed tensor/],
    ['options not an object', () => layerNorm(x(), null, null, 5 as unknown as {}), /options must be an object.*got 5/],
    ['options an array', () => layerNorm(x(), null, null, [1] as unknown as {}), /options must be an object.*got \[1\]/],
    ['options a string', () => layerNorm(x(), null, null, 'axis' as unknown as {}), /options must be an object.*got "axis"/],
    ['unknown option axes', () => layerNorm(x(), null, null, {axes: 1} as unknown as {}), /unknown option 'axes'/],
    ['unknown option eps', () => layerNorm(x(), null, null, {eps: 3} as unknown as {}), /unknown option 'eps'/],
    ['axis a BigInt', () => layerNorm(x(), null, null, {axis: BigInt(1) as unknown as number}), /axis must be .*got 1n/],
    ['axis NaN', () => layerNorm(x(), null, null, {axis: NaN}), /axis must be .*got NaN/],
    ['axis Infinity in a list', () => layerNorm(x(), null, null, {axis: [0, Infinity]}), /axis must be .*got \[0, Infinity\]/],
    ['ragged nested x', () => layerNorm([[1, 2, 3], [4, 5]]), /x is a ragged nested array: x\[1\] should hold 3 elements.*got 2/],
    ['ragged nested x, deeper', () => layerNorm([[[1, 2], [3]], [[4, 5], [6, 7]]]), /x is a ragged nested array: x\[0\]\[1\]/],
    ['nested x with a scalar in place of a row', () => layerNorm([[1, 2], 3] as unknown as number[][]), /x is a ragged nested array: x\[1\]/],
    ['nested x holding a string', () => layerNorm([[1, 'a']] as unknown as number[][]), /x\[0\]\[1\] is "a"/],
    ['ragged nested gamma', () => layerNorm(x(), [[1, 2], [3]] as unknown as number[], null, {axis: [1, 2], featureAxes: [0, 1]}), /gamma is a ragged nested array/],
    ['featureAxes out of range', () => layerNorm(x(), null, null, {featureAxes: 3}), /featureAxes must be .*got 3/],
    ['featureAxes repeated', () => layerNorm(x(), null, null, {featureAxes: [2, -1]}), /featureAxes must hold distinct axes/],
    ['gamma not matching featureAxes', () => layerNorm(x(), tf.ones([4]), null, {featureAxes: [1, 2]}), /gamma must have shape \[3,4\] \(the sizes of x \[2,3,4\] at featureAxes \[1,2\]\); got \[4\]/],
    ['beta not matching featureAxes', () => layerNorm(x(), null, tf.zeros([3, 4]), {featureAxes: 0}), /beta must have shape \[2\].*got \[3,4\]/],
  ];
  test.each(cases)('%s: a clear error and no leaked tensor', (_name, call, message) => {
    // The inputs are made inside a tidy so only the op's own leaks would show.
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => { call(); })).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('dtypes and inputs', () => {
  test('int32 x is computed as float32', () => {
    expectNoLeak(() => {
      const xi = tf.tensor([[1, 2, 3], [4, 6, 9]], [2, 3], 'int32');
      const y = layerNorm(xi);
      expect(y.dtype).toBe('float32');
      const want = refForward([1, 2, 3, 4, 6, 9], [2, 3], -1, null, null, 1e-5).y;
      expect(compare(y.dataSync(), want, 1e-6, 1e-6).ratio).toBeLessThan(1);
      tf.dispose([xi, y]);
    });
  });

  test('nested arrays are accepted for x, gamma and beta', () => {
    expectNoLeak(() => {
      const y = layerNorm([[1, 2], [3, 5]], [2, 3], [0.5, -0.5]);
      const want = refForward([1, 2, 3, 5], [2, 2], -1, [2, 3], [0.5, -0.5], 1e-5).y;
      expect(compare(y.dataSync(), want, 1e-6, 1e-6).ratio).toBeLessThan(1);
      y.dispose();
    });
  });
});

describe('edge shapes', () => {
  test.each([[[0, 4]], [[3, 0]], [[2, 0, 3]]])('empty tensor %j returns an empty tensor', shape => {
    expectNoLeak(() => {
      const x = tf.zeros(shape);
      const {y, mean, invStd} = layerNormWithStats(x, null, null, {axis: -1});
      expect(y.shape).toEqual(shape);
      expect(y.size).toBe(0);
      expect(mean.shape).toEqual([...shape.slice(0, -1), 1]);
      expect(invStd.shape).toEqual(mean.shape);
      tf.dispose([x, y, mean, invStd]);
    });
  });

  test('epsilon is honoured: a two-element row [0, 2] with eps 1 gives +-1/sqrt(2)', () => {
    const y = layerNorm([0, 2], null, null, {epsilon: 1});
    expect(compare(y.dataSync(), [-Math.SQRT1_2, Math.SQRT1_2], 1e-7, 1e-7).ratio).toBeLessThan(1);
    y.dispose();
  });
});

describe('dispatch and training plumbing', () => {
  test('featureAxes != axis runs the cpu kernel; backends whose kernels lack it get the composite', async () => {
    const x = tf.tensor(normalData(24, 1), [2, 3, 4]);
    const gamma = tf.ones([3]);
    const profile = await tf.profile(() => layerNorm(x, gamma, null, {axis: [1, 2], featureAxes: 1}));
    expect(profile.kernelNames).toContain(LayerNormKernel);
    tf.dispose([profile.result as tf.Tensor, x, gamma]);
    const same = {axis: [1], featureAxes: [1]}, other = {axis: [1], featureAxes: [0]};
    expect([kernelsSupport('cpu', other, 8), kernelsSupport('wasm', other, 8)]).toEqual([true, true]);
    expect([kernelsSupport('webgl', other, 8), kernelsSupport('webgpu', other, 8)]).toEqual([true, true]);
    expect(kernelsSupport('someOtherBackend', same, 8)).toBe(true);
    // TensorFlow's CPU kernels broadcast up to rank 5 (rank 7 with alternating axes failed there).
    expect([kernelsSupport('tensorflow', other, 5), kernelsSupport('tensorflow', same, 6)]).toEqual([true, false]);
  });

  test('the op dispatches the registered kernel (seen by the profiler)', async () => {
    const x = tf.ones([2, 3]);
    const profile = await tf.profile(() => layerNorm(x));
    expect(profile.kernelNames).toContain(LayerNormKernel);
    profile.result && (profile.result as tf.Tensor).dispose();
    x.dispose();
  });

  test('tf.variableGrads and an optimizer step work through the op, without leaks', () => {
    const gamma = tf.variable(tf.ones([4]));
    const beta = tf.variable(tf.zeros([4]));
    const x = tf.tensor(normalData(12, 5), [3, 4]);
    const target = tf.tensor(normalData(12, 6), [3, 4]);
    const optimizer = tf.train.sgd(0.1);
    const lossOf = () => tf.losses.meanSquaredError(target, layerNorm(x, gamma, beta)) as tf.Scalar;
    const first = tf.tidy(() => lossOf().dataSync()[0]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      tf.tidy(() => {
        const {grads} = tf.variableGrads(lossOf);
        optimizer.applyGradients(grads);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    const last = tf.tidy(() => lossOf().dataSync()[0]);
    expect(last).toBeLessThan(first * 0.8);
    tf.dispose([gamma, beta, x, target]);
    optimizer.dispose();
  });

  test('gradients of the op and of its error path leave no tensors behind', () => {
    expectNoLeak(() => {
      const x = tf.tensor(normalData(20, 9), [4, 5]);
      const g = tf.grad(v => tf.sum(tf.square(layerNorm(v))))(x);
      expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      tf.dispose([x, g]);
    });
  });
});
