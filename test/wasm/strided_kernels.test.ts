/**
 * The SIMD kernels for non-trailing axes (layer_norm_strided_kernels.wat)
 * on the wasm backend: which layouts take them, and inputs the conformance
 * cases do not cover (extreme values, int32, a second call on the same plan).
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import * as strided from '../../src/backends/shared/strided_simd';
import {setWasmKernelImplementation} from '../../src/backends/wasm/simd_kernels';
import {groupLayout, groupOffsets} from '../../src/layout';
import {compare, normalData, refForward, refGrads} from '../conformance/reference';

const LAYOUTS: Array<[string, number[], number[], 'lanes'|'runs'|null]> = [
  ['NCHW axis 1', [2, 6, 3, 5], [1], 'lanes'],
  ['NCHW axis 1, 5 groups a block', [3, 512, 5], [1], 'lanes'],
  ['NCHW axis 1, 3 groups a block (the JS loops)', [3, 512, 3], [1], null],
  ['NCHW axis 1, blocks in chunks of 2048 groups and a tail', [2, 64, 4106], [1], 'lanes'],
  ['rank 5, axes [1, 3]', [2, 3, 2, 3, 4], [1, 3], 'lanes'],
  ['axes [0, 2]', [3, 4, 10], [0, 2], 'runs'],
  ['rank 6, axes [0, 2, 5]', [2, 3, 2, 2, 2, 6], [0, 2, 5], 'runs'],
  ['last axis (the contiguous kernels)', [4, 6], [1], null],
];

test('runs layouts whose per-group scratch would outgrow x stay on the JS loops', () => {
  // 32 bytes of scratch per group of 4 elements (16 bytes), 9.6 MB in all.
  expect(strided.stridedPlan(groupLayout([2, 300000, 2], [0, 2], [0, 2]))).toBeNull();
  expect(strided.stridedPlan(groupLayout([2, 30000, 2], [0, 2], [0, 2]))?.family).toBe('runs');
});

describe.each(LAYOUTS)('%s', (_name, shape, axis, family) => {
  test(`plan: ${family ?? 'none'}`, () => {
    expect(strided.stridedPlan(groupLayout(shape, axis, axis))?.family ?? null).toBe(family);
  });

  test.each(['simd', 'js'] as const)('%s: forward and backward run the strided kernels iff simd', impl => {
    const forward = jest.spyOn(strided, 'forwardStrided');
    const backward = jest.spyOn(strided, 'backwardStrided');
    setWasmKernelImplementation(impl);
    try {
      const x = tf.tensor(normalData(tf.util.sizeFromShape(shape), 5, 2, 0.5), shape);
      const [dx] = tf.grads((v: tf.Tensor) => lib.layerNorm(v, null, null, {axis}).square().sum())([x]);
      const calls = impl === 'simd' && family != null ? 1 : 0;
      expect(forward).toHaveBeenCalledTimes(calls);
      expect(backward).toHaveBeenCalledTimes(calls);
      tf.dispose([x, dx]);
    } finally {
      setWasmKernelImplementation('simd');
      forward.mockRestore();
      backward.mockRestore();
    }
  });
});

describe.each(LAYOUTS.filter(l => l[3] != null))('strided kernels, %s', (_name, shape, axis) => {
  const size = tf.util.sizeFromShape(shape);
  const paramSize = axis.reduce((p, a) => p * shape[a], 1);

  test('extreme values (squares overflow float32) match the float64 reference', () => {
    const x = normalData(size, 7, 1, 0);
    const extremes = [3.4e38, -3.4e38, 3e38, -1e20, 1e20];
    for (let i = 0; i < size; i += 3) x[i] = extremes[i % extremes.length];
    const want = refForward(x, shape, axis, null, null, 1e-5);
    const {y, mean, invStd} = lib.layerNormWithStats(tf.tensor(x, shape), null, null, {axis});
    expect(compare(y.dataSync(), want.y, 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
    expect(compare(mean.dataSync(), want.mean, 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
    expect(compare(invStd.dataSync(), want.invStd, 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
    tf.dispose([y, mean, invStd]);
  });

  test('int32 x through runKernel directly is computed as float32', () => {
    const values = Int32Array.from(normalData(size, 8, 50, 3), Math.round);
    const x = tf.tensor(values, shape, 'int32');
    const gamma = tf.tensor(normalData(paramSize, 9, 1, 1), axis.map(a => shape[a]));
    const beta = tf.tensor(normalData(paramSize, 10), axis.map(a => shape[a]));
    const [y] = tf.engine().runKernel(
        lib.LayerNormKernel, {x, gamma, beta}, {axis, epsilon: 1e-5}) as tf.Tensor[];
    const want = refForward(values, shape, axis, gamma.dataSync(), beta.dataSync(), 1e-5);
    expect(compare(y.dataSync(), want.y, 1e-6, 1e-6).ratio).toBeLessThanOrEqual(1);
    tf.dispose([x, gamma, beta, y]);
  });

  test('repeated forward and backward calls give the same, reference gradients', () => {
    const xs = normalData(size, 11, 2, 0.5), gs = normalData(paramSize, 12, 1, 1);
    const wy = normalData(size, 13);
    const x = tf.tensor(xs, shape), gamma = tf.tensor(gs, axis.map(a => shape[a]));
    const w = tf.tensor(wy, shape);
    const run = () => tf.tidy(() => {
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          lib.layerNorm(a, g, b, {axis}).mul(w).sum();
      return tf.grads(f)([x, gamma, tf.zerosLike(gamma)]).map(t => t.dataSync());
    });
    const [first, second] = [run(), run()];
    expect(second).toEqual(first);
    const want = refGrads(xs, shape, axis, gs, 1e-5, {wy, wMean: null, wInvStd: null});
    expect(compare(first[0], want.dx, 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
    expect(compare(first[1], want.dGamma, 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
    expect(compare(first[2], want.dBeta, 1e-5, 1e-5).ratio).toBeLessThanOrEqual(1);
    tf.dispose([x, gamma, w]);
  });
});

test.each(LAYOUTS.filter(l => l[3] != null).map(l => [l[0], l[1], l[2]] as const))(
    'on a shared memory (threaded backend) as on a plain one: %s', (_name, shape, axis) => {
      const size = tf.util.sizeFromShape(shape);
      const layout = groupLayout(shape, axis, axis);
      const plan = strided.stridedPlan(layout)!;
      const x = normalData(size, 64, 3, 100);
      const gamma = normalData(layout.paramSize, 65), beta = normalData(layout.paramSize, 66);
      const results = [
        new WebAssembly.Memory({initial: 160}),
        new WebAssembly.Memory({initial: 160, maximum: 160, shared: true}),
      ].map(memory => {
        const kernels = strided.STRIDED_KERNELS.instantiate(memory)!;
        // x, gamma, beta, y, mean, invStd, then the plan.
        const f32 = new Float32Array(memory.buffer);
        const at = [0, size, size + layout.paramSize, size + 2 * layout.paramSize,
                    2 * size + 2 * layout.paramSize, 2 * size + 2 * layout.paramSize + layout.groupCount,
                    2 * size + 2 * layout.paramSize + 2 * layout.groupCount];
        f32.set(x, at[0]);
        f32.set(gamma, at[1]);
        f32.set(beta, at[2]);
        const m = strided.writePlan(plan, memory.buffer, 4 * at[6]);
        const [xAt, gammaAt, betaAt, y, mean, invStd] = at.map(a => 4 * a);
        strided.forwardStrided(kernels, plan, m, layout.groupCount,
                               {x: xAt, gamma: gammaAt, beta: betaAt, y, mean, invStd}, 1e-5);
        return f32.slice(at[3], at[3] + size);
      });
      const want = refForward(x, shape, axis, gamma, beta, 1e-5).y;
      expect(compare(results[0], want, 1e-6, 1e-6).ratio).toBeLessThanOrEqual(1);
      expect(results[1].findIndex((v, i) => !Object.is(v, results[0][i]))).toBe(-1);
    });

// The first element of each group +30 on N(0, 1): a shift far from the mean,
// where float32 sums of d^2 would cancel; the float64 pass keeps 1e-6.
describe.each([
  ['lanes', [2, 768, 8], [1]],
  ['lanes, 5 groups a block', [3, 37, 5], [1]],
  ['runs', [48, 4, 16], [0, 2]],
  ['runs, 3 groups', [8, 3, 96], [0, 2]],
] as Array<[string, number[], number[]]>)('an outlier first in each group, %s', (family, shape, axis) => {
  const layout = groupLayout(shape, axis, axis);
  const values = normalData(tf.util.sizeFromShape(shape), 41);
  for (const first of groupOffsets(layout).x) values[first] += 30;

  test('forward keeps float32 accuracy', () => {
    expect(strided.stridedPlan(layout)?.family).toBe(family.split(',')[0]);
    const want = refForward(values, shape, axis, null, null, 1e-5);
    const {y, mean, invStd} = lib.layerNormWithStats(tf.tensor(values, shape), null, null, {axis});
    expect(compare(y.dataSync(), want.y, 1e-6, 1e-6).ratio).toBeLessThanOrEqual(1);
    expect(compare(mean.dataSync(), want.mean, 1e-6, 1e-6).ratio).toBeLessThanOrEqual(1);
    expect(compare(invStd.dataSync(), want.invStd, 1e-6, 1e-6).ratio).toBeLessThanOrEqual(1);
    tf.dispose([y, mean, invStd]);
  });
});

// Each group's first value 1.75e38, the others near -1.7e38: x minus the
// first value overflows float32 in the backward's mean (x minus the mean does
// not); the float64 pass keeps it finite.
describe.each([
  ['lanes', [2, 24, 8], [1]],
  ['runs', [2, 3, 16], [0, 2]],
] as Array<[string, number[], number[]]>)('a spread past float32 range, %s: backward', (family, shape, axis) => {
  test('gradients match the float64 reference', () => {
    const layout = groupLayout(shape, axis, axis);
    expect(strided.stridedPlan(layout)?.family).toBe(family);
    const size = tf.util.sizeFromShape(shape);
    const xs = normalData(size, 42, 1e36, -1.7e38);
    for (const first of groupOffsets(layout).x) xs[first] = 1.75e38;
    // Weights of 1e30 keep dx (about invStd * w) out of float32's subnormals.
    const wy = normalData(size, 43, 1e30);
    const x = tf.tensor(xs, shape), w = tf.tensor(wy, shape);
    const [dx] = tf.grads((a: tf.Tensor) => lib.layerNorm(a, null, null, {axis}).mul(w).sum())([x]);
    const want = refGrads(xs, shape, axis, null, 1e-5, {wy, wMean: null, wInvStd: null});
    const scale = Math.max(...want.dx.map(Math.abs));
    expect(compare(dx.dataSync(), want.dx, 1e-5 * scale, 1e-5).ratio).toBeLessThanOrEqual(1);
    tf.dispose([x, w, dx]);
  });
});
