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

  test('int32 x through runKernel directly is computed as float32', () => {
    const values = [1, 2, 3, 4, 6, 9];
    const x = tf.tensor(values, [2, 3], 'int32');
    const gamma = tf.ones([3]), beta = tf.zeros([3]);
    const [y, mean, invStd] = tf.engine().runKernel(
        lib.LayerNormKernel, {x, gamma, beta}, {axis: [1], epsilon: 1e-5}) as tf.Tensor[];
    const want = refForward(values, [2, 3], -1, null, null, 1e-5);
    expect(compare(y.dataSync(), want.y, 2e-5, 2e-5).ratio).toBeLessThan(1);
    expect(compare(mean.dataSync(), want.mean, 2e-5, 2e-5).ratio).toBeLessThan(1);
    tf.dispose([x, gamma, beta, y, mean, invStd]);
  });

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
