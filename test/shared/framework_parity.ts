/**
 * jest: every recorded framework case (test/fixtures/frameworks, written by
 * interop/generate.sh) through the op and the ported layer on the active
 * backend. A missing fixture file fails the run.
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as path from 'path';

import * as lib from '../../src';
import {FRAMEWORK_FILES, FRAMEWORK_TOLERANCES, FrameworkFixture, FrameworkTolerances, runFrameworkCase} from '../conformance/frameworks';

export function loadFrameworkFixtures(): FrameworkFixture[] {
  const dir = path.join(__dirname, '../fixtures/frameworks');
  return FRAMEWORK_FILES.map(
      name => JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as FrameworkFixture);
}

/** One test per fixture case and route; `label` names the backend set-up. */
export function describeFrameworkParity(
    label: string, tolerances: FrameworkTolerances = FRAMEWORK_TOLERANCES): void {
  const rows = loadFrameworkFixtures().flatMap(
      f => f.cases.map(c => [`${f.framework} ${f.version}`, c.name, f, c] as const));
  describe(`${label}: parity with the frameworks' own LayerNorm`, () => {
    test.each(rows)('%s: %s', async (_fw, _name, fixture, c) => {
      for (const route of ['op', 'layer'] as const) {
        const report = await runFrameworkCase(tf, lib, fixture, c, route, tolerances);
        expect({route, failures: report.failures}).toEqual({route, failures: []});
        expect(report.checks).toBeGreaterThanOrEqual(3);
      }
    });
  });
}
