/**
 * What the conformance cases do not reach: that the fused kernels (not the
 * composite) run, dispatches past maxComputeWorkgroupsPerDimension, the
 * pipeline cache across layouts, int32 and empty inputs, and intermediate
 * GPU buffers that no tensor owns. Each compares with the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import * as lib from '../../src';
import {GROUPS_PER_INVOCATION} from '../../src/backends/webgpu/forward_pairs_webgpu';
import {GROUP_WORKGROUP_SIZE_FLAG, groupsPerWorkgroup, groupWorkgroupSize} from '../../src/backends/webgpu/group_workgroup';
import {FLOAT32_TOLERANCES, Tolerance} from '../conformance/cases';
import {compare, normalData} from '../conformance/reference';

interface Outputs {
  [name: string]: {shape: number[], values: Float32Array};
}

/** y, mean, invStd, dx, dGamma, dBeta of one call, on the given backend. */
async function run(backend: string, xValues: Float32Array, shape: number[],
                   axis: number|number[]): Promise<Outputs> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const axes = lib.normalizeAxes(axis, shape.length);
    const paramShape = axes.map(a => shape[a]);
    const paramSize = paramShape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(xValues, shape);
    const gamma = tf.tensor(normalData(paramSize, 5, 1, 1), paramShape);
    const beta = tf.tensor(normalData(paramSize, 6), paramShape);
    const wy = tf.tensor(normalData(xValues.length, 7), shape);
    const opts = {axis, epsilon: 1e-5};
    const result: tf.Tensor[] = [];
    const stats = lib.layerNormWithStats(x, gamma, beta, opts);
    result.push(stats.y, stats.mean, stats.invStd);
    result.push(...tf.grads((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const o = lib.layerNormWithStats(xi, g, b, opts);
      return tf.addN([tf.sum(tf.mul(o.y, wy)), tf.sum(o.mean), tf.sum(o.invStd)]);
    })([x, gamma, beta]));
    const out: Outputs = {};
    const names = ['y', 'mean', 'invStd', 'dx', 'dGamma', 'dBeta'];
    for (let i = 0; i < names.length; i++) {
      out[names[i]] = {
        shape: result[i].shape,
        values: await result[i].data() as Float32Array
      };
    }
    tf.dispose([...result, x, gamma, beta, wy]);
    return out;
  } finally {
    await tf.setBackend(previous);
  }
}

function expectClose(gpu: Outputs, cpu: Outputs) {
  const failures: string[] = [];
  for (const name of Object.keys(cpu)) {
    const t: Tolerance = name.startsWith('d') ? FLOAT32_TOLERANCES.grads :
                                                 FLOAT32_TOLERANCES.forward;
    if (gpu[name].shape.join() !== cpu[name].shape.join()) {
      failures.push(`${name}: shape [${gpu[name].shape}], cpu [${cpu[name].shape}]`);
      continue;
    }
    let maxAbs = 1;
    for (const v of cpu[name].values) {
      if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    const worst = compare(gpu[name].values, cpu[name].values, t.atol * maxAbs, t.rtol);
    if (worst.ratio > 1) {
      failures.push(`${name}: element ${worst.index} is ${worst.actual}, cpu ${
          worst.expected} (${worst.ratio.toPrecision(3)}x the tolerance)`);
    }
  }
  expect(failures).toEqual([]);
}

async function expectMatchesCpu(shape: number[], axis: number|number[], seed = 1) {
  const size = shape.reduce((a, b) => a * b, 1);
  const x = normalData(size, seed, 2, 0.5);
  expectClose(await run('webgpu', x, shape, axis), await run('cpu', x, shape, axis));
}

test('the op and its gradient run the fused webgpu kernels', async () => {
  const x = tf.randomNormal([4, 16]);
  const gamma = tf.ones([16]);
  const forward = await tf.profile(() => lib.layerNorm(x, gamma, null));
  expect(forward.kernelNames).toContain(lib.LayerNormKernel);
  expect(forward.kernelNames).not.toContain('Mean');
  tf.dispose(forward.result as tf.Tensor);
  const backward = await tf.profile(
      () => tf.grads((xi: tf.Tensor) => tf.sum(lib.layerNorm(xi, gamma, null)))([x]));
  expect(backward.kernelNames).toContain(lib.LayerNormGradKernel);
  tf.dispose(backward.result as tf.Tensor[]);
  tf.dispose([x, gamma]);
});

// Workgroup size 2: one workgroup per group, so these rows fold the dispatch.
describe.each([['chosen', 0], ['2', 2]])('more rows than maxComputeWorkgroupsPerDimension, group workgroup size %s', (_label, size) => {
  let limit = 0;
  beforeAll(() => {
    limit = (tf.backend() as WebGPUBackend).device.limits.maxComputeWorkgroupsPerDimension;
    tf.env().set(GROUP_WORKGROUP_SIZE_FLAG, size);
  });
  afterAll(() => {
    tf.env().set(GROUP_WORKGROUP_SIZE_FLAG, 0);
  });

  test('trailing axis, scalar rows', async () => {
    await expectMatchesCpu([limit + 7, 3], -1);
  });
  test('trailing axis, vec4 rows', async () => {
    await expectMatchesCpu([limit + 7, 4], -1);
  });
  test('NCHW channel axis', async () => {
    await expectMatchesCpu([1, 2, limit + 7], 1);
  });
});

test('one invocation per group: more workgroups of groups than maxComputeWorkgroupsPerDimension', async () => {
  const backend = tf.backend() as WebGPUBackend;
  const rows = backend.device.limits.maxComputeWorkgroupsPerDimension * groupsPerWorkgroup(backend, 1) *
      GROUPS_PER_INVOCATION + 7;
  tf.env().set(GROUP_WORKGROUP_SIZE_FLAG, 1);
  try {
    await expectMatchesCpu([rows, 2], -1);
  } finally {
    tf.env().set(GROUP_WORKGROUP_SIZE_FLAG, 0);
  }
});

test('layouts that share every shader-key input but their baked constants get their own pipelines', async () => {
  // Same rank and row length, in turn vec4, scalar and strided; then rows
  // short and long enough to change the reduction's workgroup size.
  const sequence: Array<[number[], number|number[]]> = [
    [[3, 8], -1], [[8, 3], 0], [[3, 8], -1], [[2, 4, 2], [0, 2]], [[3, 9], -1],
    [[2, 5], -1], [[2, 3000], -1], [[2, 5], -1],
  ];
  for (const [shape, axis] of sequence) {
    await expectMatchesCpu(shape, axis, shape[0] + shape[1]);
  }
});

test('int32 x through the kernel directly matches float32 x', async () => {
  const values = Int32Array.from({length: 24}, (_, i) => (i * 7) % 11 - 5);
  const run = (dtype: 'int32'|'float32') => tf.tidy(() => tf.engine().runKernel(
      lib.LayerNormKernel,
      {x: tf.tensor(values, [4, 6], dtype), gamma: tf.ones([6]), beta: tf.zeros([6])},
      {axis: [1], epsilon: 1e-5, featureAxes: [1]}) as tf.Tensor[]);
  const fromInt = run('int32');
  const fromFloat = run('float32');
  for (let i = 0; i < 3; i++) {
    expect(Array.from(await fromInt[i].data())).toEqual(Array.from(await fromFloat[i].data()));
  }
  tf.dispose([...fromInt, ...fromFloat]);
});

/**
 * Both kernels called directly on an empty x (through the op, TF.js's own
 * webgpu Sum of an empty loss fails before ours would run).
 */
async function runKernelsOnEmpty(backend: string, shape: number[], axis: number):
    Promise<Outputs> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const axes = lib.normalizeAxes(axis, shape.length);
    const paramShape = axes.map(a => shape[a]);
    const statShape = shape.map((d, i) => axes.includes(i) ? 1 : d);
    const outputs = tf.tidy(() => {
      const x = tf.zeros(shape);
      const gamma = tf.ones(paramShape);
      const [y, mean, invStd] = tf.engine().runKernel(
          lib.LayerNormKernel, {x, gamma, beta: tf.zeros(paramShape)},
          {axis: axes, epsilon: 1e-5, featureAxes: axes}) as tf.Tensor[];
      const grads = tf.engine().runKernel(lib.LayerNormGradKernel, {
        dy: tf.zeros(shape), x, invStd, gamma, dMean: tf.zeros(statShape),
        dInvStd: tf.zeros(statShape)
      }, {axis: axes, featureAxes: axes}) as tf.Tensor[];
      return [y, mean, invStd, ...grads];
    });
    const out: Outputs = {};
    const names = ['y', 'mean', 'invStd', 'dx', 'dGamma', 'dBeta'];
    for (let i = 0; i < names.length; i++) {
      out[names[i]] = {shape: outputs[i].shape, values: await outputs[i].data() as Float32Array};
    }
    tf.dispose(outputs);
    return out;
  } finally {
    await tf.setBackend(previous);
  }
}

test.each([[[0, 4], -1], [[3, 0], -1], [[2, 0, 3], 1]] as Array<[number[], number]>)(
    'empty input %j, axis %j: same shapes and values as cpu', async (shape, axis) => {
      expectClose(await runKernelsOnEmpty('webgpu', shape, axis),
                  await runKernelsOnEmpty('cpu', shape, axis));
    });

test('no GPU buffer outlives the tensors that use it', async () => {
  const backend = tf.backend() as WebGPUBackend;
  await expectMatchesCpu([5, 12], -1);  // compile and warm up first
  const before = backend.numDataIds();
  await expectMatchesCpu([5, 12], -1);
  await expectMatchesCpu([2, 3, 4, 5], 1);
  expect(backend.numDataIds()).toBe(before);
});

test('row reductions: one invocation per group on SwiftShader when groups fill its lanes, else one SIMD group; sized by the row elsewhere', () => {
  const backend = tf.backend() as WebGPUBackend;
  const architecture = (backend.adapterInfo as unknown as {architecture: string}).architecture;
  const swiftshader = architecture === 'swiftshader';
  const sizes = [1, 7, 192, 100000].map(units => groupWorkgroupSize(backend, units, 8));
  expect(sizes).toEqual(swiftshader ? [1, 2, 4, 4] : [1, 2, 64, 256]);
  expect(groupWorkgroupSize(backend, 192, 16)).toBe(swiftshader ? 1 : 64);
  expect(groupsPerWorkgroup(backend, 1)).toBe(swiftshader ? 4 : 64);
  expect(groupsPerWorkgroup(backend, 4)).toBe(1);
  tf.env().set(GROUP_WORKGROUP_SIZE_FLAG, 32);
  try {
    expect(groupWorkgroupSize(backend, 7, 1024)).toBe(32);
    tf.env().set(GROUP_WORKGROUP_SIZE_FLAG, 48);
    expect(() => groupWorkgroupSize(backend, 7, 1024)).toThrow(/power of two/);
  } finally {
    tf.env().set(GROUP_WORKGROUP_SIZE_FLAG, 0);
  }
});
