/**
 * The framework fixtures on the cpu backend's kernels and on the composite
 * forced on cpu (what tfjs-node's `tensorflow` backend runs).
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {FrameworkCase, runFrameworkCase} from '../conformance/frameworks';
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
