#!/usr/bin/env node
/**
 * `npm run bench [section...]`: bundles each bench/<section>.ts with esbuild
 * and runs it in its own Node process (each backend wants a clean process;
 * the webgpu one needs its driver environment before Node starts).
 * Sections run in the order listed in SECTIONS; name some to run only those.
 */
const {spawnSync} = require('child_process');
const path = require('path');
const esbuild = require('esbuild');
const {gpuEnvironment} = require('./environment');

const root = path.resolve(__dirname, '..');

/** section name -> extra environment for its process */
const SECTIONS = {
  cpu: {},
  webgpu: {gpu: true},
  webgl: {},
  wasm: {},
};

async function main() {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(SECTIONS);
  let failed = 0;
  for (const name of names) {
    if (!(name in SECTIONS)) {
      console.error(`bench: unknown section '${name}'; sections: ${Object.keys(SECTIONS).join(', ')}`);
      process.exit(2);
    }
    const outfile = path.join(root, 'dist/bench', `${name}.js`);
    await esbuild.build({
      entryPoints: [path.join(root, 'bench', `${name}.ts`)], outfile, bundle: true,
      platform: 'node', target: 'node18', external: ['@tensorflow/*', 'webgpu', 'playwright-core', 'esbuild'],
      logLevel: 'warning',
    });
    const env = {...process.env, ...SECTIONS[name], ...(SECTIONS[name].gpu ? gpuEnvironment() : {})};
    const r = spawnSync(process.execPath, [outfile], {cwd: root, stdio: 'inherit', env});
    if (r.status !== 0) {
      console.error(`bench: section '${name}' failed (exit ${r.status})`);
      failed++;
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
