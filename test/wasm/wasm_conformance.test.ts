/**
 * The conformance cases on the `wasm` backend: this package's WebAssembly
 * SIMD kernels, the JS loops they fall back to, and the composite of TF.js
 * ops forced on wasm. Plus what is particular to working on the heap:
 * scratch space freed, non-float32 inputs, the shared-memory build.
 */
import * as tf from '@tensorflow/tfjs';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {execFileSync} from 'child_process';
import * as path from 'path';

import * as lib from '../../src';
import {emscriptenHeap} from '../../src/backends/wasm/heap';
import {KERNELS_SHARED_MEMORY_WASM_BASE64, KERNELS_WASM_BASE64} from '../../src/backends/shared/layer_norm_kernels_wasm';
import {KernelImplementation, SimdKernels} from '../../src/backends/shared/simd_module';
import {setWasmKernelImplementation, simdKernels} from '../../src/backends/wasm/simd_kernels';
import {COMPOSITE_TOLERANCES, CONFORMANCE_CASES, CPU_TOLERANCES} from '../conformance/cases';
import {compare, normalData, refForward} from '../conformance/reference';
import {runConformanceCase} from '../conformance/suite';
import {expectKernelsAndCompositeTrainAlike} from '../shared/composite_training';
import {compositeRankChecks, directKernelChecks, extremeGradientChecks, extremeRowChecks, int32KernelInputCheck, shiftFallbackChecks, wideSpreadGradientChecks} from '../shared/hostile_inputs';

const backend = () => tf.backend() as BackendWasm;

test('our kernels are registered for wasm and the SIMD kernels run on this engine', async () => {
  expect(tf.getKernel(lib.LayerNormKernel, 'wasm')).toBeDefined();
  expect(tf.getKernel(lib.LayerNormGradKernel, 'wasm')).toBeDefined();
  // Not null: the SIMD cases below really run the WebAssembly kernels.
  expect(simdKernels(backend())).not.toBeNull();
  const x = tf.ones([2, 3]);
  const profile = await tf.profile(() => lib.layerNorm(x));
  expect(profile.kernelNames).toContain(lib.LayerNormKernel);
  tf.dispose([profile.result as tf.Tensor, x]);
});

describe.each(['simd', 'js'] as KernelImplementation[])('wasm kernels, %s', implementation => {
  beforeAll(() => setWasmKernelImplementation(implementation));
  afterAll(() => setWasmKernelImplementation('simd'));

  describe.each(CONFORMANCE_CASES.map(c => [c.name, c] as const))('%s', (_name, c) => {
    test('forward, stats and gradients match the float64 reference', async () => {
      const report = await runConformanceCase(tf, lib, c, CPU_TOLERANCES);
      expect(report.failures).toEqual([]);
      expect(report.checks).toBeGreaterThanOrEqual(6);
    });
  });

  test('every heap allocation of a forward and backward is freed', () => {
    const heap = emscriptenHeap(backend());
    const live = new Set<number>();
    const {_malloc: malloc, _free: free} = heap;
    heap._malloc = (bytes: number) => {
      const address = malloc(bytes);
      live.add(address);
      return address;
    };
    heap._free = (address: number) => {
      live.delete(address);
      free(address);
    };
    try {
      const layouts: Array<[number[], number]> = [[[6, 40], -1], [[2, 5, 3], 1]];
      for (const [shape, axis] of layouts) {
        const x = tf.tensor(normalData(shape.reduce((a, b) => a * b), 5), shape);
        const [dx] = tf.grads((v: tf.Tensor) => tf.sum(lib.layerNorm(v, null, null, {axis})))([x]);
        tf.dispose([x, dx]);
      }
    } finally {
      heap._malloc = malloc;
      heap._free = free;
    }
    expect([...live]).toEqual([]);
  });

  int32KernelInputCheck(1e-6);
});

describe('composite forced on wasm', () => {
  beforeAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, true));
  afterAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, false));

  test('the flag routes the op past our kernels', async () => {
    const x = tf.ones([2, 3]);
    const profile = await tf.profile(() => lib.layerNorm(x));
    expect(profile.kernelNames).not.toContain(lib.LayerNormKernel);
    tf.dispose([profile.result as tf.Tensor, x]);
  });

  describe.each(CONFORMANCE_CASES.map(c => [c.name, c] as const))('%s', (_name, c) => {
    test('forward, stats and gradients match the float64 reference', async () => {
      const report = await runConformanceCase(tf, lib, c, COMPOSITE_TOLERANCES);
      expect(report.failures).toEqual([]);
      expect(report.checks).toBeGreaterThanOrEqual(6);
    });
  });
});

describe('model.fit on wasm', () => {
  test('the kernels and the composite train alike (losses, weights within 1e-4), no leaks',
       () => expectKernelsAndCompositeTrainAlike());
});

describe('the WebAssembly kernels themselves', () => {
  function instantiate(base64: string, memory: WebAssembly.Memory): SimdKernels {
    const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
    return new WebAssembly.Instance(module, {env: {memory}}).exports as unknown as SimdKernels;
  }

  test('the shared-memory build (threaded backend) computes what the plain one does', () => {
    const rows = 3, n = 37, size = rows * n;
    const x = normalData(size, 61, 3, 100), gamma = normalData(n, 62), beta = normalData(n, 63);
    const results = [
      new WebAssembly.Memory({initial: 1}),
      new WebAssembly.Memory({initial: 1, maximum: 16, shared: true}),
    ].map((memory, variant) => {
      const kernels = instantiate(
          variant === 0 ? KERNELS_WASM_BASE64 : KERNELS_SHARED_MEMORY_WASM_BASE64, memory);
      // Layout: x, gamma, beta, y, mean, invStd one after another.
      const f32 = new Float32Array(memory.buffer);
      const [xAt, gammaAt, betaAt, yAt, meanAt] = [0, size, size + n, size + 2 * n, 2 * size + 2 * n];
      f32.set(x, xAt);
      f32.set(gamma, gammaAt);
      f32.set(beta, betaAt);
      kernels.forwardGroups(4 * xAt, 4 * gammaAt, 4 * betaAt, 4 * yAt, 4 * meanAt, 4 * (meanAt + rows),
                          rows, n, 1e-5);
      return Array.from(f32.subarray(yAt, yAt + size));
    });
    const want = refForward(x, [rows, n], -1, gamma, beta, 1e-5).y;
    expect(compare(results[0], want, 1e-6, 1e-6).ratio).toBeLessThan(1);
    expect(results[1]).toEqual(results[0]);
  });

  test('the checked-in binary is the one the .wat compiles to', () => {
    const script = path.join(__dirname, '../../scripts/build_wasm_kernels.js');
    // Throws (exit 1, "is stale") when layer_norm_kernels_wasm.ts is out of date.
    execFileSync(process.execPath, [script, '--check'], {stdio: 'pipe'});
  });
});

describe('hostile inputs (issue regressions)', () => {
  compositeRankChecks();
  extremeRowChecks(['kernels', 'composite']);
  extremeGradientChecks(['kernels', 'composite']);
  describe('JS loops', () => {
    beforeAll(() => setWasmKernelImplementation('js'));
    afterAll(() => setWasmKernelImplementation('simd'));
    extremeRowChecks(['kernels']);
    extremeGradientChecks(['kernels']);
  });
  directKernelChecks();
  shiftFallbackChecks();
  wideSpreadGradientChecks();
});

describe('no groups on a used heap (issue regression)', () => {
  test('x of shape [0, 4] through the composite: dGamma and dBeta are zeros, whatever the heap held', () => {
    tf.env().set(lib.FORCE_COMPOSITE_FLAG, true);
    try {
      // Leave non-zero values in freed heap memory: TF.js wasm's sum over an empty axis reads it.
      for (let i = 0; i < 8; i++) tf.dispose(tf.fill([1024], 7 + i));
      const before = tf.memory().numTensors;
      const x = tf.zeros([0, 4]), gamma = tf.ones([4]), beta = tf.zeros([4]);
      const [dx, dGamma, dBeta] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const o = lib.layerNormWithStats(a, g, b);
        return tf.addN([tf.sum(o.y), tf.sum(o.mean), tf.sum(o.invStd)]);
      })([x, gamma, beta]);
      expect(Array.from(dGamma.dataSync())).toEqual([0, 0, 0, 0]);
      expect(Array.from(dBeta.dataSync())).toEqual([0, 0, 0, 0]);
      tf.dispose([x, gamma, beta, dx, dGamma, dBeta]);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      tf.env().set(lib.FORCE_COMPOSITE_FLAG, false);
    }
  });
});
