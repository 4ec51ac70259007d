#!/usr/bin/env node
/**
 * `npm run bench [section...]`: runs each bench/<section>.ts in its own Node
 * process (each backend wants a clean process;
 * the webgpu one needs its driver environment before Node starts).
 * Sections run in the order listed in SECTIONS; name some to run only those.
 */
const {gpuEnvironment} = require('./environment');
const {runTypeScript} = require('./run_typescript');

/** section name -> {gpu: true} when its process needs the GPU driver environment */
const SECTIONS = {
  cpu: {},
  webgpu: {gpu: true},
  webgl: {},
  wasm: {},
  keras_block: {},
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
    const status = await runTypeScript(`bench/${name}.ts`, [], SECTIONS[name].gpu ? gpuEnvironment() : {});
    if (status !== 0) {
      console.error(`bench: section '${name}' failed (exit ${status})`);
      failed++;
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
