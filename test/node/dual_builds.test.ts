/**
 * The CommonJS and ES module builds of the package in one Node process
 * share the useFusedLayerNormalization() state and `instanceof LayerNorm`
 * (test/shared/dual_builds.mjs). Both are built here from src/ with esbuild,
 * as scripts/build.js builds dist/esm (dist/cjs is tsc's, one file per
 * module; the package test runs the same check on the packed dist/).
 */
import {spawnSync} from 'child_process';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '../..');
/** Under the repository, so that both builds resolve @tensorflow/tfjs from its node_modules. */
const outDir = path.join(root, '.out/dual-builds');

beforeAll(async () => {
  fs.rmSync(outDir, {recursive: true, force: true});
  const common = {
    entryPoints: [path.join(root, 'src/index.ts')], bundle: true, target: 'es2019',
    external: ['@tensorflow/*', 'fs', 'path'], logLevel: 'warning' as const,
  };
  await esbuild.build({...common, format: 'cjs', platform: 'node', outfile: path.join(outDir, 'index.cjs')});
  await esbuild.build({...common, format: 'esm', platform: 'neutral', outfile: path.join(outDir, 'index.mjs')});
  fs.writeFileSync(path.join(outDir, 'run.mjs'), `
import {createRequire} from 'module';
import {checkDualBuilds} from ${JSON.stringify(path.join(root, 'test/shared/dual_builds.mjs'))};
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const cjs = require('./index.cjs');
const esm = await import('./index.mjs');
await checkDualBuilds(tf, cjs, esm);
console.log('ok');
`);
});

test('CommonJS and ES module builds in one process: one opt-in count, one executor, instanceof across them', () => {
  const r = spawnSync(process.execPath, [path.join(outDir, 'run.mjs')], {cwd: root, encoding: 'utf8'});
  if (r.status !== 0) {
    throw new Error(`the child process failed (${r.status}):\n${r.stderr}`);
  }
  expect(r.stdout.trim().split('\n').pop()).toBe('ok');
});
