/**
 * The conformance cases on tfjs-node's `tensorflow` backend: each route of
 * this package's kernels (TensorFlow float32 ops), and the composite of
 * TF.js ops forced.
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {COMPOSITE_TOLERANCES, CONFORMANCE_CASES} from '../conformance/cases';
import {compare, normalData, refForward} from '../conformance/reference';
import {runConformanceCase} from '../conformance/suite';
import {extremeRowChecks, int32KernelInputCheck, wideSpreadGradientChecks} from '../shared/hostile_inputs';

const ROUTES: lib.TensorflowKernelRoute[] = ['checked', 'nativeOps', 'fusedBatchNorm'];

test('our kernels are registered for tensorflow, run TensorFlow ops, and default to the checked route', async () => {
  expect(tf.getKernel(lib.LayerNormKernel, 'tensorflow')).toBeDefined();
  expect(tf.getKernel(lib.LayerNormGradKernel, 'tensorflow')).toBeDefined();
  expect(lib.tensorflowKernelRoute()).toBe('checked');
  const x = tf.ones([2, 3]);
  const profile = await tf.profile(() => lib.layerNorm(x));
  expect(profile.kernelNames).toEqual([lib.LayerNormKernel]);
  tf.dispose([profile.result as tf.Tensor, x]);
});

test('an unknown route is refused with its name', () => {
  expect(() => lib.setTensorflowKernelRoute('fast' as lib.TensorflowKernelRoute))
      .toThrow(/route must be one of checked, nativeOps, fusedBatchNorm; got fast/);
});

describe.each(ROUTES)('route %s', route => {
  beforeAll(() => lib.setTensorflowKernelRoute(route));
  afterAll(() => lib.setTensorflowKernelRoute('checked'));

  describe.each(CONFORMANCE_CASES.map(c => [c.name, c] as const))('%s', (_name, c) => {
    test('forward, stats and gradients match the float64 reference', async () => {
      const before = tf.memory().numTensors;
      const report = await runConformanceCase(tf, lib, c, COMPOSITE_TOLERANCES);
      expect(report.failures).toEqual([]);
      expect(report.checks).toBeGreaterThanOrEqual(6);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  int32KernelInputCheck(2e-5);
  // Squares overflow float32 above a spread of ~1.8e19: the scaled route takes such groups.
  // (Not extremeGradientChecks: TensorFlow's CPU kernels flush float32 subnormals to 0, so an
  // invStd below 1.18e-38, a spread above ~8.5e37, reaches the backward as 0.)
  extremeRowChecks(['kernels']);
  wideSpreadGradientChecks();

  test('an empty x gives an empty y, without leaks', () => {
    const before = tf.memory().numTensors;
    const x = tf.zeros([0, 4]);
    const y = lib.layerNorm(x);
    expect(y.shape).toEqual([0, 4]);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the checked route falls back per call where float32 stats would cost accuracy', () => {
  const n = 768, small = normalData(n, 5, 1, 0.1);

  test('a row of large mean next to a small one: y as accurate as the shifted route', () => {
    const values = [...small, ...normalData(n, 6, 1, 1e4)];
    const x = tf.tensor(values, [2, n]);
    const {y, mean} = lib.layerNormWithStats(x, null, null, {});
    const want = refForward(values, [2, n], -1, null, null, 1e-5);
    expect(compare(y.dataSync(), want.y, 2e-5, 2e-5).ratio).toBeLessThan(1);
    expect(compare(mean.dataSync(), want.mean, 2e-5, 2e-5).ratio).toBeLessThan(1);
    tf.dispose([x, y, mean]);
  });

  test('a constant row of small values next to a varied one: y exactly beta there', () => {
    const x = tf.tensor([...small, ...new Array(n).fill(0.03)], [2, n]);  // TensorFlow's float32 mean of it is not 0.03
    const beta = tf.fill([n], 0.25);
    const y = lib.layerNorm(x, null, beta);
    expect(Array.from(y.dataSync().slice(n))).toEqual(new Array(n).fill(0.25));
    tf.dispose([x, beta, y]);
  });
});

describe('composite of TF.js ops forced on tensorflow', () => {
  beforeAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, true));
  afterAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, false));

  describe.each(CONFORMANCE_CASES.map(c => [c.name, c] as const))('%s', (_name, c) => {
    test('forward, stats and gradients match the float64 reference', async () => {
      const report = await runConformanceCase(tf, lib, c, COMPOSITE_TOLERANCES);
      expect(report.failures).toEqual([]);
      expect(report.checks).toBeGreaterThanOrEqual(6);
    });
  });
});

/**
 * gamma/beta along featureAxes (the kernel attribute that defaults to the
 * normalized axes), through runKernel: float64 reference computed here.
 */
describe.each(ROUTES)('featureAxes attribute, route %s', route => {
  beforeAll(() => lib.setTensorflowKernelRoute(route));
  afterAll(() => lib.setTensorflowKernelRoute('checked'));

  function reference(x: Float32Array, shape: number[], axis: number[], featureAxes: number[],
                     gamma: Float32Array, beta: Float32Array, dy: Float32Array, epsilon: number) {
    const size = x.length, strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const index = (e: number, axes: number[], keep: boolean) => {
      let k = 0;
      shape.forEach((d, i) => {
        if (axes.includes(i) === keep) k = k * d + Math.floor(e / strides[i]) % d;
      });
      return k;
    };
    const group = Array.from({length: size}, (_, e) => index(e, axis, false));
    const feature = Array.from({length: size}, (_, e) => index(e, featureAxes, true));
    const groups = Math.max(...group) + 1, n = size / groups;
    const sum = (f: (e: number) => number) => {
      const s = new Float64Array(groups);
      for (let e = 0; e < size; e++) s[group[e]] += f(e);
      return s;
    };
    const mean = sum(e => x[e]).map(v => v / n);
    const invStd = sum(e => (x[e] - mean[group[e]]) ** 2).map(v => 1 / Math.sqrt(v / n + epsilon));
    const xhat = Array.from({length: size}, (_, e) => (x[e] - mean[group[e]]) * invStd[group[e]]);
    const y = xhat.map((v, e) => v * gamma[feature[e]] + beta[feature[e]]);
    const g = Array.from({length: size}, (_, e) => dy[e] * gamma[feature[e]]);
    const meanG = sum(e => g[e]).map(v => v / n), meanGXhat = sum(e => g[e] * xhat[e]).map(v => v / n);
    const dx = g.map((v, e) => invStd[group[e]] * (v - meanG[group[e]] - xhat[e] * meanGXhat[group[e]]));
    const dGamma = new Float64Array(gamma.length), dBeta = new Float64Array(gamma.length);
    for (let e = 0; e < size; e++) {
      dGamma[feature[e]] += dy[e] * xhat[e];
      dBeta[feature[e]] += dy[e];
    }
    return {y, mean: Array.from(mean), invStd: Array.from(invStd), dx, dGamma: Array.from(dGamma),
            dBeta: Array.from(dBeta)};
  }

  test.each([
    ['stats over [1, 2], params over [2] (Flax-style subset)', [2, 3, 4], [1, 2], [2]],
    ['stats over [2], params over [0, 2] (an axis outside the group)', [2, 3, 4], [2], [0, 2]],
    ['NCHW: stats over [1, 2, 3], params over [1]', [2, 3, 2, 2], [1, 2, 3], [1]],
  ])('%s', (_name, shape, axis, featureAxes) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const paramShape = featureAxes.map(a => shape[a]);
    const paramSize = paramShape.reduce((a, b) => a * b, 1);
    const xv = normalData(size, 71, 2, 0.5), dyv = normalData(size, 72);
    const gv = normalData(paramSize, 73, 1, 1), bv = normalData(paramSize, 74);
    const want = reference(xv, shape, axis, featureAxes, gv, bv, dyv, 1e-5);
    const before = tf.memory().numTensors;
    const x = tf.tensor(xv, shape), dy = tf.tensor(dyv, shape);
    const gamma = tf.tensor(gv, paramShape), beta = tf.tensor(bv, paramShape);
    const attrs = {axis, epsilon: 1e-5, featureAxes};
    const [y, mean, invStd] = tf.engine().runKernel(lib.LayerNormKernel, {x, gamma, beta}, attrs) as tf.Tensor[];
    const zeros = tf.zerosLike(mean);
    const [dx, dGamma, dBeta] = tf.engine().runKernel(
        lib.LayerNormGradKernel, {dy, x, mean, invStd, gamma, dMean: zeros, dInvStd: zeros},
        {axis, featureAxes}) as tf.Tensor[];
    expect(dGamma.shape).toEqual(paramShape);
    const checks: Array<[string, tf.Tensor, number[], number]> = [
      ['y', y, want.y, 2e-5], ['mean', mean, want.mean, 2e-5], ['invStd', invStd, want.invStd, 2e-5],
      ['dx', dx, want.dx, 1e-4], ['dGamma', dGamma, want.dGamma, 1e-4], ['dBeta', dBeta, want.dBeta, 1e-4],
    ];
    for (const [name, actual, expected, tol] of checks) {
      const worst = compare(actual.dataSync(), expected, tol, tol);
      expect({name, ratio: worst.ratio <= 1 ? 'ok' : worst}).toEqual({name, ratio: 'ok'});
    }
    tf.dispose([x, dy, gamma, beta, y, mean, invStd, zeros, dx, dGamma, dBeta]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
