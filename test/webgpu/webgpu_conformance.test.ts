/**
 * The conformance cases on the `webgpu` backend (Dawn + SwiftShader in Node):
 * every case against the float64 reference (suite.ts), and forward, stats
 * and the three gradients against the cpu backend's fused kernels.
 * The backend is set up, and checked, by setup_backend.ts.
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {GROUP_WORKGROUP_SIZE_FLAG} from '../../src/backends/webgpu/group_workgroup';
import {CONFORMANCE_CASES, ConformanceCase, Tolerance, WEBGPU_TOLERANCES} from '../conformance/cases';
import {compare} from '../conformance/reference';
import {caseData, runConformanceCase} from '../conformance/suite';

/**
 * The per-group programs' workgroup size depends on the adapter and the
 * shape (group_workgroup.ts): run the cases with that choice, with one
 * invocation per group (no barriers; the strip backward) and with the sizes
 * a GPU gets, so the multi-level shared-memory tree is tested too.
 */
const GROUP_WORKGROUP_SIZES: Array<[string, number]> = [
  ['chosen for this adapter', 0],
  ['1', 1],
  ['64', 64],
  ['256', 256],
];

describe.each(GROUP_WORKGROUP_SIZES)('group workgroup size %s', (_label, size) => {
  beforeAll(() => {
    tf.env().set(GROUP_WORKGROUP_SIZE_FLAG, size);
  });
  afterAll(() => {
    tf.env().set(GROUP_WORKGROUP_SIZE_FLAG, 0);
  });

  test.each(CONFORMANCE_CASES.map(c => [c.name, c] as const))(
      '%s: forward, stats and gradients match the float64 reference', async (_name, c) => {
        expect(tf.getBackend()).toBe('webgpu');
        const report = await runConformanceCase(tf, lib, c, WEBGPU_TOLERANCES);
        expect(report.failures).toEqual([]);
        expect(report.checks).toBeGreaterThanOrEqual(6);
      });
});

test.each(CONFORMANCE_CASES.map(c => [c.name, c] as const))(
    '%s: forward, stats and gradients match the cpu backend', async (_name, c) => {
      const gpu = await outputsOn('webgpu', c);
      const cpu = await outputsOn('cpu', c);
      expect(Object.keys(gpu)).toEqual(Object.keys(cpu));
      const failures: string[] = [];
      for (const name of Object.keys(cpu)) {
        const isGrad = name.startsWith('d');
        failures.push(...closeTo(name, gpu[name], cpu[name],
                                 isGrad ? WEBGPU_TOLERANCES.grads : WEBGPU_TOLERANCES.forward));
      }
      expect(failures).toEqual([]);
    });

/** y, mean, invStd and (on finite data) dx, dGamma, dBeta of a case on a backend. */
async function outputsOn(backend: string, c: ConformanceCase):
    Promise<Record<string, Float32Array>> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const d = caseData(c);
    const axes = lib.normalizeAxes(c.featureAxes ?? c.axis, c.shape.length, 'featureAxes', true);
    const paramShape = axes.map(a => c.shape[a]);
    const x = tf.tensor(d.x, c.shape);
    const gamma = d.gamma ? tf.tensor(d.gamma, paramShape) : null;
    const beta = d.beta ? tf.tensor(d.beta, paramShape) : null;
    const opts = {axis: c.axis, epsilon: c.epsilon, featureAxes: c.featureAxes};
    const out: Record<string, Float32Array> = {};
    const stats = lib.layerNormWithStats(x, gamma, beta, opts);
    out.y = await stats.y.data() as Float32Array;
    out.mean = await stats.mean.data() as Float32Array;
    out.invStd = await stats.invStd.data() as Float32Array;
    tf.dispose([stats.y, stats.mean, stats.invStd]);
    if (c.data !== 'nonFinite') {
      // Weights on all three outputs, so dMean and dInvStd are non-zero.
      const wy = tf.tensor(d.weights.wy, c.shape);
      const wStats = tf.tensor(Float32Array.from(out.mean, (_, i) => Math.cos(i)),
                               stats.mean.shape);
      const params = [x, gamma ?? tf.ones(paramShape), beta ?? tf.zeros(paramShape)];
      const [dx, dGamma, dBeta] = tf.grads((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const o = lib.layerNormWithStats(xi, g, b, opts);
        // Flat views: webgpu's elementwise ops stop below rank 7; a 0 appended: its sum of an
        // empty tensor fails.
        const dot = (t: tf.Tensor, w: tf.Tensor) =>
            tf.sum(tf.concat([tf.mul(tf.reshape(t, [-1]), tf.reshape(w, [-1])), tf.zeros([1])]));
        return tf.addN([dot(o.y, wy), dot(o.mean, wStats), dot(o.invStd, wStats)]);
      })(params);
      out.dx = await dx.data() as Float32Array;
      out.dGamma = await dGamma.data() as Float32Array;
      out.dBeta = await dBeta.data() as Float32Array;
      tf.dispose([dx, dGamma, dBeta, wy, wStats, params[1], params[2]]);
    }
    tf.dispose([x, gamma, beta].filter(t => t != null) as tf.Tensor[]);
    return out;
  } finally {
    await tf.setBackend(previous);
  }
}

/** The suite's rule: |a - e| <= atol * max(1, max|e|) + rtol * |e|. */
function closeTo(what: string, actual: Float32Array, expected: Float32Array,
                 t: Tolerance): string[] {
  let maxAbs = 1;
  for (const v of expected) {
    if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const worst = compare(actual, expected, t.atol * maxAbs, t.rtol);
  return worst.ratio > 1 ?
      [`${what}: element ${worst.index} is ${worst.actual} on webgpu, ${
          worst.expected} on cpu (${worst.ratio.toPrecision(3)}x the tolerance)`] :
      [];
}
