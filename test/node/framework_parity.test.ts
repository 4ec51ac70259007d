/**
 * The framework fixtures on the cpu backend's kernels and on the composite
 * forced on cpu (what tfjs-node's `tensorflow` backend runs).
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {conditioning, FRAMEWORK_TOLERANCES, FixtureTensor, FrameworkCase, runFrameworkCase} from
    '../conformance/frameworks';
import {refForward, refGrads} from '../conformance/reference';
import {describeFrameworkParity, loadFrameworkFixtures} from '../shared/framework_parity';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('cpu kernels', () => {
  describeFrameworkParity('cpu');
});

describe('composite forced on cpu', () => {
  beforeAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, true));
  afterAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, false));
  describeFrameworkParity('composite');
});

describe('the comparison catches a wrong port or an edited fixture', () => {
  const fixtures = loadFrameworkFixtures();
  const find = (framework: string, name: string) => {
    const f = fixtures.find(x => x.framework === framework)!;
    return {f, c: f.cases.find(x => x.name === name)!};
  };
  test.each([
    ['MXNet epsilon left at its default', 'mxnet', 'epsilon 1e-3, variance near epsilon',
     (c: FrameworkCase) => ({...c, args: {}})],
    ['Flax with PyTorch\'s epsilon 1e-5', 'flax', 'constant rows, groups of 3',
     (c: FrameworkCase) => ({...c, args: {...c.args, epsilon: 1e-5}})],
    ['Keras with epsilon 1e-5 instead of 1e-3', 'keras', 'defaults, rank 2',
     (c: FrameworkCase) => ({...c, config: {...c.config, epsilon: 1e-5}})],
    ['PyTorch dims swapped in x', 'torch', 'normalized_shape tuple of 2, rank 4',
     (c: FrameworkCase) => ({...c, x: {...c.x, data: [...c.x.data].reverse()}})],
    ['outputs moved by 1e-4 of their scale', 'mlx', 'defaults, rank 2',
     (c: FrameworkCase) => ({...c, y: {...c.y, data: c.y.data.map(v => v + 2e-4)}})],
    ['Lucid eps left at its default', 'lucid', 'eps 1e-3, variance near eps',
     (c: FrameworkCase) => ({...c, args: {normalized_shape: c.args.normalized_shape}})],
    ['Lucid\'s own parameter gradients taken as the reference', 'lucid',
     'normalized_shape int, rank 2',
     (c: FrameworkCase) => ({...c, grads: {...c.grads, ...c.own_param_grads},
                             own_param_grads: undefined})],
    ['Keras 3 rms_scaling read as a plain layer norm', 'keras', 'rms_scaling, rank 3',
     (c: FrameworkCase) => ({...c, config: {...c.config, rms_scaling: false, center: false}})],
    ['Gluon\'s frozen beta dropped (its initializer left out)', 'mxnet',
     'center off, beta_initializer Constant(0.5)',
     (c: FrameworkCase) => ({...c, args: {center: false}})],
    ['NaN of 0 / 0 recorded as 0', 'torch', 'eps 0, constant rows (0 / 0)',
     (c: FrameworkCase) => ({...c, y: {...c.y, data: c.y.data.map(() => 0)}})],
  ] as Array<[string, string, string, (c: FrameworkCase) => FrameworkCase]>)(
      '%s fails', async (_what, framework, name, mutate) => {
        const {f, c} = find(framework, name);
        expect(c).toBeDefined();
        for (const route of ['op', 'layer'] as const) {
          expect((await runFrameworkCase(tf, lib, f, c, route)).failures).toEqual([]);
          expect((await runFrameworkCase(tf, lib, f, mutate(c), route)).failures).not.toEqual([]);
        }
      });
});

/**
 * Lucid 2.9.0 reduces a broadcast gradient (lucid._match_grad_shape) by
 * reshaping its flat values to [parameter size, rest] and summing the rest:
 * consecutive runs, not the other axes. Its weight and bias gradients are
 * therefore wrong wherever x has more than one group and the parameters more
 * than one element; the parity test compares ours with the float64 reference.
 */
describe('Lucid 2.9.0\'s own weight and bias gradients (recorded to show they are wrong)', () => {
  const lucid = loadFrameworkFixtures().find(f => f.framework === 'lucid')!;
  const rows = lucid.cases.flatMap(c => Object.keys(c.own_param_grads ?? {}).map(
      name => [c.name, name, c] as const));
  const sizeOf = (t: FixtureTensor) => t.data.length;
  const worst = (a: ArrayLike<number>, b: number[]) =>
      Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

  /** Lucid's d<name> as the sums of consecutive runs and as the float64 reference. */
  function expected(c: FrameworkCase, name: string) {
    const ns = c.args.normalized_shape as number|number[];
    const rank = c.x.shape.length;
    const axes = (typeof ns === 'number' ? [ns] : ns).map((_, i, all) => rank - all.length + i);
    const eps = (c.args.eps as number|undefined) ?? 1e-5;
    const gamma = 'weight' in c.params ? c.params.weight.data : null;
    const wy = Float64Array.from(c.dy.data);
    const ref = refGrads(c.x.data, c.x.shape, axes, gamma, eps, {wy, wMean: null, wInvStd: null});
    // The per-element terms that the reduction sums: dy for the bias, dy * xhat for the weight.
    const xhat = refForward(c.x.data, c.x.shape, axes, null, null, eps).y;
    const terms = name === 'bias' ? wy : wy.map((v, i) => v * xhat[i]);
    const size = sizeOf(c.params[name]), run = terms.length / size;
    const runs = Array.from({length: size}, (_, j) => terms.slice(j * run, (j + 1) * run)
                                                          .reduce((a, b) => a + b, 0));
    const reference = Array.from(name === 'bias' ? ref.dBeta : ref.dGamma);
    const t = FRAMEWORK_TOLERANCES.grads;
    const scale = Math.max(1, ...reference.map(Math.abs));
    const tolerance = (t.base + t.k * 2 ** -23 * conditioning(c.x, axes, eps).max) * scale;
    // Runs and axis sums agree with one group, one parameter, or all terms 0 (constant rows).
    return {runs, reference, tolerance, wrong: worst(runs, reference) > tolerance};
  }

  test.each(rows)('%s: d%s is the sums of consecutive runs of its flat gradient', (_c, name, c) => {
    const {runs, tolerance} = expected(c, name);
    expect(worst(c.own_param_grads![name].data, runs)).toBeLessThanOrEqual(tolerance);
  });

  test('they differ from the float64 reference wherever those sums do', () => {
    const label = ([caseName, name]: typeof rows[number]) => `${caseName}: d${name}`;
    const off = rows.filter(([, name, c]) => {
      const {reference, tolerance} = expected(c, name);
      return worst(c.own_param_grads![name].data, reference) > tolerance;
    });
    const predicted = rows.filter(([, name, c]) => expected(c, name).wrong);
    expect(predicted.length).toBeGreaterThan(0);
    expect(off.map(label)).toEqual(predicted.map(label));
  });
});
