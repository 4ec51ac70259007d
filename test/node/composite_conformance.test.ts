/**
 * The composite of TF.js ops, forced on the cpu backend: the code a backend
 * without a kernel of ours runs (tfjs-node's `tensorflow` among them), with
 * the full case list, training through it, and the composite backward behind
 * the cpu forward kernel.
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {cpuKernelConfigs} from '../../src/backends/cpu/register_all_kernels';
import {COMPOSITE_TOLERANCES, CONFORMANCE_CASES} from '../conformance/cases';
import {normalData} from '../conformance/reference';
import {runConformanceCase} from '../conformance/suite';
import {expectKernelsAndCompositeTrainAlike} from '../shared/composite_training';
import {compositeRankChecks, directKernelChecks, extremeRowChecks} from '../shared/hostile_inputs';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function withCompositeForced(): void {
  beforeAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, true));
  afterAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, false));
}

describe('composite forced on cpu', () => {
  withCompositeForced();

  test('the flag routes the op past the registered kernels (seen by the profiler)', async () => {
    const x = tf.tensor(normalData(24, 1), [4, 6]);
    const profile = await tf.profile(() => tf.grads(
        (v: tf.Tensor) => tf.sum(lib.layerNorm(v, null, null)))([x])[0]);
    expect(profile.kernelNames).not.toContain(lib.LayerNormKernel);
    expect(profile.kernelNames).not.toContain(lib.LayerNormGradKernel);
    expect(profile.kernelNames).toEqual(expect.arrayContaining(['Mean', 'Rsqrt']));
    tf.dispose([profile.result as tf.Tensor, x]);
  });

  test('its backward is the fused formula, not autograd through the forward ops', async () => {
    // Autograd through the forward would run the gradients of Slice (a pad),
    // Where (Select) and Rsqrt (Pow, Neg); the custom gradients run none.
    const x = tf.tensor(normalData(24, 1), [4, 6]);
    const profile = await tf.profile(() => tf.grads(
        (v: tf.Tensor) => tf.sum(lib.layerNorm(v, null, null)))([x])[0]);
    const names = profile.kernels.map(k => k.name);
    // The forward reduces with Mean only: the first Sum is the loss.
    const backward = names.slice(names.indexOf('Sum') + 1);
    expect(backward).toEqual(expect.arrayContaining(['Mean', 'Multiply', 'Sub']));
    for (const name of ['Slice', 'Pad', 'PadV2', 'Select', 'Pow', 'Neg', 'IsFinite', 'Rsqrt']) {
      expect(backward).not.toContain(name);
    }
    tf.dispose([profile.result as tf.Tensor, x]);
  });

  test('it runs only kernels that tfjs-node registers natively', async () => {
    // tfjs-node cannot be installed here; this is the check that stands in
    // for running on it. Every name below has a kernel file in
    // tfjs-node/src/kernels of TF.js 4.22 (checked by hand): a composite that
    // starts using another kernel fails here until that is checked too.
    const tfjsNodeKernels = [
      'Abs', 'Add', 'AddN', 'Fill', 'GatherV2', 'Identity', 'IsFinite', 'Max', 'Maximum', 'Mean',
      'Multiply', 'RealDiv', 'Reshape', 'Rsqrt', 'ScatterNd', 'Select', 'Slice', 'Square', 'Sub',
      'Sum', 'Tile', 'ZerosLike',
    ];
    const x = tf.tensor(normalData(24, 1), [2, 3, 4]);
    const gamma = tf.ones([3, 4]), beta = tf.zeros([3, 4]);
    const profile = await tf.profile(() => tf.grads((v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const {y, mean, invStd} = lib.layerNormWithStats(v, g, b, {axis: [0, 2], featureAxes: [1, 2]});
      return tf.addN([tf.sum(y), tf.sum(mean), tf.sum(invStd)]);
    })([x, gamma, beta]));
    expect(profile.kernelNames).toEqual(expect.arrayContaining(['GatherV2', 'ScatterNd']));
    const ran = new Set(profile.kernels.map(k => k.name).filter(name => tf.getKernel(name, 'cpu') != null));
    const unexpected = [...ran].filter(name => !tfjsNodeKernels.includes(name));
    expect(unexpected).toEqual([]);
    expect(ran.size).toBeGreaterThan(8);
    tf.dispose([...(profile.result as tf.Tensor[]), x, gamma, beta]);
  });

  describe.each(CONFORMANCE_CASES.map(c => [c.name, c] as const))('%s', (_name, c) => {
    test('forward, stats and gradients match the float64 reference', async () => {
      const report = await runConformanceCase(tf, lib, c, COMPOSITE_TOLERANCES);
      expect(report.failures).toEqual([]);
      expect(report.checks).toBeGreaterThanOrEqual(6);
    });
  });

  test.each([[[0, 4]], [[3, 0]], [[2, 0, 3]]])('empty tensor %j gives empty outputs, no leak', shape => {
    const before = tf.memory().numTensors;
    const x = tf.zeros(shape);
    const {y, mean, invStd} = lib.layerNormWithStats(x, null, null, {axis: -1});
    expect(y.shape).toEqual(shape);
    expect(mean.shape).toEqual([...shape.slice(0, -1), 1]);
    expect(invStd.shape).toEqual(mean.shape);
    tf.dispose([x, y, mean, invStd]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('model.fit through the composite', () => {
  test('trains like the fused kernels: same losses and weights within 1e-4, no leaks',
       () => expectKernelsAndCompositeTrainAlike());
});

describe('cpu forward kernel with the composite backward', () => {
  // A backend registering a forward kernel of ours but no backward one: the
  // registered gradient runs layerNormGradComposite.
  const gradConfig = cpuKernelConfigs.find(k => k.kernelName === lib.LayerNormGradKernel)!;
  beforeAll(() => tf.unregisterKernel(lib.LayerNormGradKernel, 'cpu'));
  afterAll(() => tf.registerKernel(gradConfig));

  test('the backward kernel is gone and the forward one is used', async () => {
    expect(tf.getKernel(lib.LayerNormGradKernel, 'cpu')).toBeUndefined();
    const x = tf.tensor(normalData(12, 3), [3, 4]);
    const profile = await tf.profile(() => tf.grads(
        (v: tf.Tensor) => tf.sum(lib.layerNorm(v, null, null)))([x])[0]);
    expect(profile.kernelNames).toContain(lib.LayerNormKernel);
    tf.dispose([profile.result as tf.Tensor, x]);
  });

  describe.each(CONFORMANCE_CASES.map(c => [c.name, c] as const))('%s', (_name, c) => {
    test('gradients match the float64 reference', async () => {
      const report = await runConformanceCase(tf, lib, c, COMPOSITE_TOLERANCES);
      expect(report.failures).toEqual([]);
      expect(report.checks).toBeGreaterThanOrEqual(6);
    });
  });
});

describe('hostile inputs (issue regressions)', () => {
  compositeRankChecks();
  extremeRowChecks(['kernels', 'composite']);
  directKernelChecks();
});
