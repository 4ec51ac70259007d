/**
 * The conformance cases on the `cpu` backend's fused kernels.
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {CONFORMANCE_CASES, CPU_TOLERANCES} from '../conformance/cases';
import {runConformanceCase} from '../conformance/suite';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('the cpu backend runs our registered kernels', () => {
  expect(tf.getKernel(lib.LayerNormKernel, 'cpu')).toBeDefined();
  expect(tf.getKernel(lib.LayerNormGradKernel, 'cpu')).toBeDefined();
});

describe.each(CONFORMANCE_CASES.map(c => [c.name, c] as const))(
    'cpu: %s', (_name, c) => {
      test('forward, stats and gradients match the float64 reference', async () => {
        const report = await runConformanceCase(tf, lib, c, CPU_TOLERANCES);
        expect(report.failures).toEqual([]);
        expect(report.checks).toBeGreaterThanOrEqual(6);
      });
    });
