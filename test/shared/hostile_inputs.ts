/**
 * Regression checks shared by the cpu, wasm and webgpu suites: the composite
 * at high rank, extreme rows, and kernels called directly with bad inputs.
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {compare, normalData, refForward, refGrads, sizeOf} from '../conformance/reference';

/** Runs `body` with the composite forced. */
async function forcingComposite<T>(body: () => Promise<T>): Promise<T> {
  tf.env().set(lib.FORCE_COMPOSITE_FLAG, true);
  try {
    return await body();
  } finally {
    tf.env().set(lib.FORCE_COMPOSITE_FLAG, false);
  }
}

const HIGH_RANK: Array<[number[], number[], number[]]> = [
  [[2, 3, 2, 2, 3], [1, 3], [1, 3]],
  [[2, 2, 3, 2, 2, 3, 2], [1, 3, 5], [1, 3, 5]],
  [[2, 2, 2, 2, 2, 2, 2, 3], [0, 2, 4, 6], [1, 7]],
  [[3, 2, 2, 2, 2, 2, 2, 4], [7], [7]],
];

/** The composite folds x so no kernel but Reshape sees a rank above 4, and is right. */
export function compositeRankChecks(): void {
  test.each(HIGH_RANK)('composite, shape %j axis %j featureAxes %j: rank <= 4, matches the reference',
                       async (shape, axis, featureAxes) => {
    const size = sizeOf(shape);
    const paramShape = featureAxes.map(a => shape[a]);
    const xv = normalData(size, 3, 2, 1), dyv = normalData(size, 4);
    const gv = normalData(sizeOf(paramShape), 5, 1, 1), bv = normalData(sizeOf(paramShape), 6);
    const before = tf.memory().numTensors;
    const x = tf.tensor(xv, shape), dy = tf.tensor(dyv, shape);
    const gamma = tf.tensor(gv, paramShape), beta = tf.tensor(bv, paramShape);
    await forcingComposite(async () => {
      const opts = {axis, featureAxes};
      const profile = await tf.profile(() => tf.tidy(() => {
        const [dx, dGamma] = tf.grads((v: tf.Tensor, g: tf.Tensor) => {
          const {y, mean, invStd} = lib.layerNormWithStats(v, g, beta, opts);
          // The loss works on flat views, so only the op's own kernels see rank > 1.
          const flat = (t: tf.Tensor) => tf.reshape(t, [-1]);
          return tf.addN([tf.sum(tf.mul(flat(y), flat(dy))), tf.sum(flat(mean)), tf.sum(flat(invStd))]);
        })([x, gamma]);
        return [lib.layerNorm(x, gamma, beta, opts), dx, dGamma];
      }));
      const [y, dx, dGamma] = profile.result as tf.Tensor[];
      // Allowed above rank 4: scopes (not kernels), reshapes and identities.
      const allowed = (k: typeof profile.kernels[number]) =>
          tf.getKernel(k.name, tf.getBackend()) == null || ['Reshape', 'Identity'].includes(k.name);
      const tooHigh = profile.kernels.filter(k => !allowed(k) &&
          [...k.inputShapes, ...k.outputShapes].some(s => s != null && s.length > 4));
      expect(tooHigh.map(k => `${k.name} ${JSON.stringify(k.inputShapes)}`)).toEqual([]);
      const want = refForward(xv, shape, axis, gv, bv, 1e-5, featureAxes);
      expect(compare(await y.data(), want.y, 2e-5, 2e-5).ratio).toBeLessThanOrEqual(1);
      const ones = new Float64Array(sizeOf(shape.map((d, i) => axis.includes(i) ? 1 : d))).fill(1);
      const grads = refGrads(xv, shape, axis, gv, 1e-5, {wy: dyv, wMean: ones, wInvStd: ones}, featureAxes);
      expect(compare(await dx.data(), grads.dx, 1e-4, 1e-4).ratio).toBeLessThanOrEqual(1);
      expect(compare(await dGamma.data(), grads.dGamma, 1e-4, 1e-4).ratio).toBeLessThanOrEqual(1);
      tf.dispose([y, dx, dGamma]);
    });
    tf.dispose([x, dy, gamma, beta]);
    expect(tf.memory().numTensors).toBe(before);
  });
}

const EXTREME_ROWS = [
  [1e20, -1e20, 1, -1],
  [3e38, -3e38, 3e38, -3e38],
  [-3.4e38, 3.4e38, 3.4e38, 3.4e38],
  [3.4e38, 3.4e38, 3.4e38, -3.4e38, 1, 2, 3, 4, 5],
  // Long enough for the SIMD kernels' vector loops (blocks of 16 and more).
  Array.from({length: 37}, (_, i) => (i % 2 ? 1e20 : -1e20) * (1 + i / 64)),
  Array.from({length: 40}, (_, i) => (i % 3 ? 3e38 : -3e38)),
];

/** Rows whose squares overflow float32: y as the float64 reference gives it. */
export function extremeRowChecks(paths: Array<'kernels'|'composite'>): void {
  describe.each(paths.map(p => [p, p === 'composite'] as [string, boolean]))(
      'extreme rows, %s', (_label, composite) => {
        test.each(EXTREME_ROWS.map(r => [r]))('%j', async row => {
          const values = Float32Array.from(row);
          const want = refForward(values, [1, row.length], -1, null, null, 1e-5);
          const run = async () => {
            const y = lib.layerNorm(tf.tensor(values, [1, row.length]));
            const got = await y.data();
            y.dispose();
            return got;
          };
          const got = composite ? await forcingComposite(run) : await run();
          expect(compare(got, want.y, 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
        });
      });
}

const NEAR_MAX = [3.4e38, -3.4e38, 3.4e38, 3.4e38, 1, -3e38, 2e38];

/** Layouts of every kernel family: contiguous rows, [0, 2]-style runs, four groups a vector. */
const EXTREME_GRADIENT_LAYOUTS: Array<[number[], number[]]> = [
  [[3, 9], [1]], [[2, 37], [1]], [[2, 9, 8], [0, 2]], [[2, 9, 4], [1]], [[20, 4], [0]],
];

/**
 * Gradients of groups holding values near float32's max (spread ~7e38, invStd
 * ~2e-39): x - mean and dx's products overflow float32, so a kernel must take
 * them in float64 (or scaled); dx is compared relative to its largest value.
 */
export function extremeGradientChecks(paths: Array<'kernels'|'composite'>): void {
  describe.each(paths.map(p => [p, p === 'composite'] as [string, boolean]))(
      'gradients near float32\'s max, %s', (_label, composite) => {
        test.each(EXTREME_GRADIENT_LAYOUTS)('shape %j axis %j', async (shape, axis) => {
          const size = sizeOf(shape), paramShape = axis.map(a => shape[a]);
          const xv = Float32Array.from({length: size}, (_, i) => NEAR_MAX[i % NEAR_MAX.length]);
          const gv = normalData(sizeOf(paramShape), 45, 1, 1);
          const w = {wy: normalData(size, 46), wMean: normalData(size / sizeOf(paramShape), 47),
                     wInvStd: normalData(size / sizeOf(paramShape), 48)};
          const want = refGrads(xv, shape, axis, gv, 1e-5, w);
          const statShape = shape.map((d, i) => axis.includes(i) ? 1 : d);
          const run = async () => {
            const x = tf.tensor(xv, shape), gamma = tf.tensor(gv, paramShape), beta = tf.zeros(paramShape);
            const [wy, wMean, wInvStd] = [tf.tensor(w.wy, shape), tf.tensor(w.wMean, statShape),
                                          tf.tensor(w.wInvStd, statShape)];
            const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
              const o = lib.layerNormWithStats(a, g, b, {axis});
              const dot = (t: tf.Tensor, u: tf.Tensor) => tf.sum(tf.mul(tf.reshape(t, [-1]), tf.reshape(u, [-1])));
              return tf.addN([dot(o.y, wy), dot(o.mean, wMean), dot(o.invStd, wInvStd)]);
            })([x, gamma, beta]);
            const got = await Promise.all(grads.map(t => t.data()));
            tf.dispose([x, gamma, beta, wy, wMean, wInvStd, ...grads]);
            return got;
          };
          const [dx, dGamma, dBeta] = composite ? await forcingComposite(run) : await run();
          const relative = (a: ArrayLike<number>, scale: number) => Array.from(a, v => v / scale);
          const dxScale = Math.max(...Array.from(want.dx, Math.abs));
          expect(compare(relative(dx, dxScale), relative(want.dx, dxScale), 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
          expect(compare(dGamma, want.dGamma, 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
          expect(compare(dBeta, want.dBeta, 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
        });
      });
}

/**
 * Rows whose first element sits far from the mean: a kernel that shifts by
 * the first element and sums in float32 loses digits to cancellation unless
 * it recomputes those rows (the SIMD kernels do, in float64).
 */
export function shiftFallbackChecks(): void {
  test.each([[4, 768], [3, 37]])('rows [%i, %i] with an outlier first keep float32 accuracy', (rows, n) => {
    const values = normalData(rows * n, 41);
    for (let r = 0; r < rows; r++) {
      values[r * n] += 30;
    }
    const want = refForward(values, [rows, n], -1, null, null, 1e-5);
    const x = tf.tensor2d(values, [rows, n]);
    const {y, mean, invStd} = lib.layerNormWithStats(x);
    expect(compare(y.dataSync(), want.y, 1e-6, 1e-6).ratio).toBeLessThanOrEqual(1);
    expect(compare(mean.dataSync(), want.mean, 1e-6, 1e-6).ratio).toBeLessThanOrEqual(1);
    expect(compare(invStd.dataSync(), want.invStd, 1e-6, 1e-6).ratio).toBeLessThanOrEqual(1);
    tf.dispose([x, y, mean, invStd]);
  });
}

/**
 * Gradients of rows with a spread of 1e30: invStd^2 (1e-60) underflows
 * float32, so a kernel must not form invStd * xhatCoef in float32.
 */
export function wideSpreadGradientChecks(): void {
  test.each([[3, 64], [2, 7]])('gradients of [%i, %i] rows with spread 1e30', (rows, n) => {
    const values = normalData(rows * n, 43, 1e30);
    const w = {wy: normalData(rows * n, 44), wMean: null, wInvStd: null};
    const want = refGrads(values, [rows, n], -1, null, 1e-5, w);
    const x = tf.tensor2d(values, [rows, n]);
    const wy = tf.tensor2d(w.wy, [rows, n]);
    const [dx] = tf.grads((a: tf.Tensor) => lib.layerNorm(a).mul(wy).sum())([x]);
    const scale = Math.max(...Array.from(want.dx, Math.abs));
    const got = Array.from(dx.dataSync(), v => v / scale);
    expect(compare(got, Array.from(want.dx, v => v / scale), 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
    tf.dispose([x, wy, dx]);
  });
}

/** An int32 x given to the forward kernel directly is computed as float32. */
export function int32KernelInputCheck(tolerance: number): void {
  test('int32 x through runKernel directly is computed as float32', () => {
    const values = [1, 2, 3, 4, 6, 9];
    const x = tf.tensor(values, [2, 3], 'int32');
    const gamma = tf.ones([3]), beta = tf.zeros([3]);
    const [y, mean, invStd] = tf.engine().runKernel(
        lib.LayerNormKernel, {x, gamma, beta}, {axis: [1], epsilon: 1e-5}) as tf.Tensor[];
    const want = refForward(values, [2, 3], -1, null, null, 1e-5);
    expect(compare(y.dataSync(), want.y, tolerance, tolerance).ratio).toBeLessThan(1);
    expect(compare(mean.dataSync(), want.mean, tolerance, tolerance).ratio).toBeLessThan(1);
    tf.dispose([x, gamma, beta, y, mean, invStd]);
  });
}

/** Kernels called through runKernel check shapes, dtypes and attrs. */
export function directKernelChecks(): void {
  const x = () => tf.ones([2, 3, 4]);
  const p = (shape: number[]) => tf.ones(shape);
  const stats = () => tf.ones([2, 3, 1]);
  const forward = (inputs: tf.NamedTensorMap, attrs: object) =>
      tf.engine().runKernel(lib.LayerNormKernel, inputs, attrs as tf.NamedAttrMap);
  const backward = (inputs: tf.NamedTensorMap, attrs: object) =>
      tf.engine().runKernel(lib.LayerNormGradKernel, inputs, attrs as tf.NamedAttrMap);
  const attrs = {axis: [2], epsilon: 1e-5, featureAxes: [2]};
  const gradInputs = (over: tf.NamedTensorMap = {}) => ({
    dy: x(), x: x(), invStd: stats(), gamma: p([4]), dMean: stats(), dInvStd: stats(), ...over,
  });
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['gamma shorter than the group', () => forward({x: x(), gamma: p([2]), beta: p([4])}, attrs),
     /input gamma must have shape \[4\]; got \[2\]/],
    ['beta of another rank', () => forward({x: x(), gamma: p([4]), beta: p([1, 4])}, attrs),
     /input beta must have shape \[4\]; got \[1,4\]/],
    ['gamma for other featureAxes', () => forward({x: x(), gamma: p([4]), beta: p([4])}, {...attrs, featureAxes: [1, 2]}),
     /input gamma must have shape \[3,4\]/],
    ['missing beta', () => forward({x: x(), gamma: p([4])}, attrs), /input beta is missing/],
    ['bool gamma', () => forward({x: x(), gamma: tf.ones([4], 'bool'), beta: p([4])}, attrs),
     /input gamma must be float32 or int32; got bool/],
    ['axis not sorted', () => forward({x: x(), gamma: p([3, 4]), beta: p([3, 4])}, {...attrs, axis: [2, 1]}),
     /attr axis must be an ascending array .* got \[2, 1\]/],
    ['axis out of range', () => forward({x: x(), gamma: p([4]), beta: p([4])}, {...attrs, axis: [3]}),
     /attr axis .* in \[0, 2\]; got \[3\]/],
    ['axis missing', () => forward({x: x(), gamma: p([4]), beta: p([4])}, {epsilon: 1e-5}),
     /attr axis .*got undefined/],
    ['epsilon NaN', () => forward({x: x(), gamma: p([4]), beta: p([4])}, {...attrs, epsilon: NaN}),
     /attr epsilon must be 0 or a number in \[1.1754943508222875e-38, 3.4028234663852886e\+38\].*got NaN/],
    ['epsilon below float32\'s smallest normal', () => forward({x: x(), gamma: p([4]), beta: p([4])},
                                                            {...attrs, epsilon: 1e-40}),
     /attr epsilon must be 0 or a number in .*got 1e-40/],
    ['backward: short gamma', () => backward(gradInputs({gamma: p([3])}), attrs),
     /input gamma must have shape \[4\]; got \[3\]/],
    ['backward: dy of another shape', () => backward(gradInputs({dy: p([2, 3, 5])}), attrs),
     /input dy must have shape \[2,3,4\]/],
    ['backward: short invStd', () => backward(gradInputs({invStd: p([2])}), attrs),
     /input invStd must have shape \[2,3,1\]; got \[2\]/],
    ['backward: missing dInvStd', () => backward({...gradInputs(), dInvStd: undefined as unknown as tf.Tensor}, attrs),
     /input dInvStd is missing/],
  ];
  test.each(cases)('runKernel with %s: a clear error naming it, no leak', (_name, call, message) => {
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => { call(); })).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('runKernel without featureAxes (older callers) means featureAxes = axis', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const xv = normalData(24, 9);
      const [y] = forward({x: tf.tensor(xv, [2, 3, 4]), gamma: p([4]), beta: tf.zeros([4])},
                          {axis: [2], epsilon: 1e-5}) as tf.Tensor[];
      const want = refForward(xv, [2, 3, 4], -1, null, null, 1e-5);
      expect(compare(y.dataSync(), want.y, 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
}
