#!/usr/bin/env node
/**
 * `npm run bench [section...] [--out=DIR]`: runs each section in its own
 * Node process (each backend wants a clean process; the webgpu one needs its
 * driver environment before Node starts), in the order of SECTIONS; name some
 * to run only those. Tables go to stdout, progress to stderr.
 *
 * A full run writes docs/bench.md (every table) and docs/bench.svg (the
 * chart) from the figures the sections record (bench/results.ts
 * `recordRows`); `--out=DIR` writes them into DIR for any run.
 */
const {spawn, spawnSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const {writeReport} = require('./bench_report');
const {gpuEnvironment} = require('./environment');

const root = path.resolve(__dirname, '..');

/**
 * Section name -> {entry: file under bench/ (default <name>.ts), args,
 * gpu: true when its process needs the GPU driver environment}.
 */
const SECTIONS = {
  copy: {},
  cpu: {},
  webgpu: {gpu: true},
  webgl: {},
  wasm: {},
  'onnxruntime-node': {entry: 'onnxruntime.ts', args: ['node']},
  'onnxruntime-web-1': {entry: 'onnxruntime.ts', args: ['web', '--threads=1']},
  'onnxruntime-web-2': {entry: 'onnxruntime.ts', args: ['web', '--threads=2']},
  // tfjs-node, installed (or restored from its cache) by its setup script first
  tensorflow: {setup: 'scripts/setup_tfjs_node.js'},
  keras_block: {},
};

/** Runs one section; its stdout is echoed and returned. */
async function runSection(name, resultsFile) {
  const {entry = `${name}.ts`, args = [], gpu = false, setup} = SECTIONS[name];
  if (setup && spawnSync(process.execPath, [path.join(root, setup)], {stdio: ['ignore', 2, 2]}).status !== 0) {
    console.error(`bench: section '${name}': ${setup} failed`);
    return {name, status: 1, output: ''};
  }
  const env = {...process.env, ...(gpu ? gpuEnvironment() : {}), BENCH_RESULTS: resultsFile};
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', entry), ...args], {cwd: root, env, stdio: ['ignore', 'pipe', 'inherit']});
  let output = '';
  child.stdout.on('data', chunk => {
    process.stdout.write(chunk);
    output += chunk;
  });
  const status = await new Promise(resolve => child.on('close', code => resolve(code == null ? 1 : code)));
  return {name, status, output};
}

async function main() {
  const argv = process.argv.slice(2);
  const outArg = argv.find(a => a.startsWith('--out='));
  const wanted = argv.filter(a => !a.startsWith('--'));
  const names = wanted.length ? wanted : Object.keys(SECTIONS);
  for (const name of names) {
    if (!(name in SECTIONS)) {
      console.error(`bench: unknown section '${name}'; sections: ${Object.keys(SECTIONS).join(', ')}`);
      process.exit(2);
    }
  }
  const startLoad = os.loadavg()[0];
  const resultsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-layernorm-bench-')), 'rows.jsonl');
  const sections = [];
  for (const [i, name] of names.entries()) {
    process.stderr.write(`bench: section ${i + 1}/${names.length}: ${name}\n`);
    const section = await runSection(name, resultsFile);
    if (section.status !== 0) console.error(`bench: section '${name}' failed (exit ${section.status})`);
    sections.push(section);
  }
  const rows = fs.existsSync(resultsFile) ?
      fs.readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l)) : [];
  fs.rmSync(path.dirname(resultsFile), {recursive: true, force: true});
  const outDir = outArg ? path.resolve(outArg.slice('--out='.length)) : wanted.length ? null : path.join(root, 'docs');
  if (outDir) {
    writeReport(outDir, rows, sections, startLoad);
    console.error(`bench: wrote bench.md, bench.svg and bench.json in ${outDir}`);
  } else {
    console.error('bench: a partial run leaves docs/ as it is (--out=DIR writes its chart and tables there)');
  }
  process.exit(sections.some(s => s.status !== 0) ? 1 : 0);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
