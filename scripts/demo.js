#!/usr/bin/env node
/**
 * `npm run demo [-- OUTPUT_DIR]`: the README's walk-through (train a model
 * with LayerNorm, save it to files, reload it, check its outputs). Bundles
 * scripts/demo.ts, which imports src/, with esbuild and runs it, so a fresh
 * clone needs only `npm ci`. Exits non-zero when the check fails.
 */
const {spawnSync} = require('child_process');
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');

async function main() {
  const outfile = path.join(root, 'dist/scripts/demo.js');
  await esbuild.build({
    entryPoints: [path.join(root, 'scripts/demo.ts')], outfile, bundle: true,
    platform: 'node', target: 'node18', external: ['@tensorflow/*'], logLevel: 'warning',
  });
  const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], {cwd: root, stdio: 'inherit'});
  process.exit(r.status == null ? 1 : r.status);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
