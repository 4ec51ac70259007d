/**
 * The conformance cases on the `cpu` backend's fused kernels: the SIMD
 * kernels on the cpu backend's own WebAssembly memory, and the JS loops.
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import * as arena from '../../src/backends/cpu/simd_arena';
import * as strided from '../../src/backends/shared/strided_simd';
import {KernelImplementation} from '../../src/backends/shared/simd_module';
import {CONFORMANCE_CASES, CPU_TOLERANCES} from '../conformance/cases';
import {compare, normalData, refForward} from '../conformance/reference';
import {runConformanceCase} from '../conformance/suite';
import {extremeGradientChecks, extremeRowChecks, int32KernelInputCheck, shiftFallbackChecks, wideSpreadGradientChecks} from '../shared/hostile_inputs';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('the cpu backend runs our registered kernels, through SIMD on this engine', () => {
  expect(tf.getKernel(lib.LayerNormKernel, 'cpu')).toBeDefined();
  expect(tf.getKernel(lib.LayerNormGradKernel, 'cpu')).toBeDefined();
  expect(lib.cpuKernelsInUse()).toBe('simd');
});

describe.each(['simd', 'js'] as KernelImplementation[])('cpu kernels, %s', implementation => {
  beforeAll(() => lib.setCpuKernelImplementation(implementation));
  afterAll(() => lib.setCpuKernelImplementation('simd'));

  test(`${implementation}: the forward and backward take the ${implementation} path`, () => {
    const regions = jest.spyOn(arena, 'simdRegions');
    try {
      const x = tf.randomNormal([3, 10]);
      const grads = tf.grads((a: tf.Tensor) => lib.layerNorm(a).square().sum())([x]);
      expect(regions).toHaveBeenCalledTimes(2);
      for (const result of regions.mock.results) {
        expect(result.value == null).toBe(implementation === 'js');
      }
      tf.dispose([x, ...grads]);
    } finally {
      regions.mockRestore();
    }
  });

  test.each([[[2, 8, 4, 5], 1], [[3, 4, 6], [0, 2]]] as Array<[number[], number|number[]]>)(
      `${implementation}: x %j, axis %j: ${
          implementation === 'js' ? 'the JS loops' : 'the strided kernels, both ways'}`,
      (shape, axis) => {
        const forward = jest.spyOn(strided, 'forwardStrided');
        const backward = jest.spyOn(strided, 'backwardStrided');
        try {
          const x = tf.randomNormal(shape);
          const grads = tf.grads((a: tf.Tensor) => lib.layerNorm(a, null, null, {axis}).square().sum())([x]);
          const calls = implementation === 'js' ? 0 : 1;
          expect(forward).toHaveBeenCalledTimes(calls);
          expect(backward).toHaveBeenCalledTimes(calls);
          tf.dispose([x, ...grads]);
        } finally {
          forward.mockRestore();
          backward.mockRestore();
        }
      });

  describe.each(CONFORMANCE_CASES.map(c => [c.name, c] as const))('%s', (_name, c) => {
    test('forward, stats and gradients match the float64 reference', async () => {
      const report = await runConformanceCase(tf, lib, c, CPU_TOLERANCES);
      expect(report.failures).toEqual([]);
      expect(report.checks).toBeGreaterThanOrEqual(6);
    });
  });
});

describe('extreme rows on the JS loops (the SIMD kernels: composite_conformance.test.ts)', () => {
  beforeAll(() => lib.setCpuKernelImplementation('js'));
  afterAll(() => lib.setCpuKernelImplementation('simd'));
  extremeRowChecks(['kernels']);
  extremeGradientChecks(['kernels']);
});

describe('extreme rows on the SIMD kernels', () => {
  extremeGradientChecks(['kernels', 'composite']);
});

describe('shifted sums', () => {
  shiftFallbackChecks();
  wideSpreadGradientChecks();
});

describe('SIMD memory of the cpu backend', () => {
  test('is reused across calls and grows for a larger call', () => {
    const small = tf.randomNormal([4, 8]);
    const large = tf.randomNormal([64, 4096]);
    const results = [small, large, small].map(x => {
      const y = lib.layerNorm(x);
      const want = refForward(Array.from(x.dataSync()), x.shape, -1, null, null, 1e-5).y;
      expect(compare(Array.from(y.dataSync()), want, 1e-6, 1e-6).ratio).toBeLessThan(1);
      return y;
    });
    tf.dispose([small, large, ...results]);
  });

  int32KernelInputCheck(1e-6);

  test('int32 inputs are converted on the way in', () => {
    const values = normalData(48, 7).map(v => Math.round(v * 100));
    const x = tf.tensor2d(values, [4, 12], 'int32');
    const y = lib.layerNorm(x);
    const want = refForward(values, [4, 12], -1, null, null, 1e-5).y;
    expect(compare(Array.from(y.dataSync()), want, 1e-6, 1e-6).ratio).toBeLessThan(1);
    tf.dispose([x, y]);
  });

  test('setCpuKernelImplementation names its argument', () => {
    expect(() => lib.setCpuKernelImplementation('fast' as KernelImplementation))
        .toThrow(/setCpuKernelImplementation: expected 'simd' or 'js'; got fast/);
  });
});
