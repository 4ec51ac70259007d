#!/usr/bin/env node
/**
 * `npm run fixtures`: regenerates models/ (the saved-model fixtures that
 * test/node/layer_fixtures.test.ts checks). Bundles scripts/make_fixtures.ts
 * (which imports src/) with esbuild and runs it. Deterministic: same seeds,
 * same files, unless the cpu kernels' numbers change.
 */
const {spawnSync} = require('child_process');
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');

async function main() {
  const outfile = path.join(root, 'dist/scripts/make_fixtures.js');
  await esbuild.build({
    entryPoints: [path.join(root, 'scripts/make_fixtures.ts')], outfile, bundle: true,
    platform: 'node', target: 'node18', external: ['@tensorflow/*'], logLevel: 'warning',
  });
  const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], {cwd: root, stdio: 'inherit'});
  process.exit(r.status == null ? 1 : r.status);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
