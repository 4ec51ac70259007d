#!/usr/bin/env node
/**
 * The peer range, proven: runs jest projects against other TF.js 4.x releases,
 * each in a temporary copy of the repository with that release of
 * @tensorflow/tfjs, -backend-wasm and -backend-webgpu installed.
 *
 *   node scripts/test_tfjs_versions.js [--projects=cpu,wasm] [--json=FILE] [--range-only] [VERSION...]
 *
 * Without versions it runs CI_VERSIONS (the oldest release package.json's
 * peer range accepts; the newest runs in the main jest step). The JSON file
 * gets {passed, failed} over all versions.
 */
const {execFileSync, spawnSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
/** Oldest release of the peer range ("^4.10.0" in package.json). */
const CI_VERSIONS = ['4.10.0'];
/**
 * The WebGPU backend's own floor: earlier releases call
 * GPUAdapter.requestAdapterInfo(), which Dawn and Chromium no longer have;
 * the main test run covers it.
 */
const WEBGPU_FLOOR = '4.22.0';
const TFJS_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu'];
/** What the jest projects need besides TF.js (the webgpu project also needs npm `webgpu`). */
// What the jest projects need besides TF.js (esbuild and tsx run test helpers; onnxruntime-node
// checks the bench's ONNX model; jest-environment-node is that test's environment).
const JEST_PACKAGES = ['jest', 'ts-jest', 'typescript', '@types/jest', '@types/node', 'wabt', 'webgpu',
                       'esbuild', 'tsx', 'onnxruntime-node', 'jest-environment-node'];

function option(name, fallback) {
  const arg = process.argv.find(a => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

/** The repository's tracked and untracked-but-not-ignored files, copied to `dir`. */
function copyRepository(dir) {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {cwd: root})
                    .toString().split('\0').filter(Boolean);
  for (const f of files) {
    const from = path.join(root, f);
    if (!fs.existsSync(from)) continue;  // deleted in the work tree
    fs.mkdirSync(path.dirname(path.join(dir, f)), {recursive: true});
    fs.copyFileSync(from, path.join(dir, f));
  }
}

function runVersion(version, projects) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tfjs-layernorm-tfjs-${version}-`));
  try {
    copyRepository(dir);
    // A fresh resolution around this release: the lock pins the newest.
    const pkgFile = path.join(dir, 'package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
    const devDependencies = {};
    for (const name of JEST_PACKAGES) devDependencies[name] = pkg.devDependencies[name];
    for (const name of TFJS_PACKAGES) devDependencies[name] = version;
    fs.writeFileSync(pkgFile, JSON.stringify({...pkg, devDependencies, peerDependencies: {}}, null, 2));
    fs.rmSync(path.join(dir, 'package-lock.json'));
    const started = Date.now();
    const install = spawnSync('npm', [
      'install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error',
    ], {cwd: dir, stdio: 'inherit', env: {...process.env, ONNXRUNTIME_NODE_INSTALL_CUDA: 'skip'}});
    if (install.status !== 0) {
      console.error(`tfjs ${version}: npm install failed`);
      return {passed: 0, failed: 1};
    }
    const installed = JSON.parse(fs.readFileSync(
        path.join(dir, 'node_modules/@tensorflow/tfjs-core/package.json'), 'utf8')).version;
    if (installed !== version) {
      console.error(`tfjs ${version}: installed tfjs-core is ${installed}`);
      return {passed: 0, failed: 1};
    }
    console.log(`tfjs ${version}: installed in ${((Date.now() - started) / 1000).toFixed(0)} s; jest ${projects.join(', ')}`);
    const out = path.join(dir, 'jest-results.json');
    const jest = spawnSync(process.execPath, [
      path.join(dir, 'node_modules/jest/bin/jest.js'), '--ci', '--json', `--outputFile=${out}`,
      '--selectProjects', ...projects,
    ], {cwd: dir, stdio: ['ignore', 'inherit', 'inherit']});
    let counts = {passed: 0, failed: 1};
    try {
      const r = JSON.parse(fs.readFileSync(out, 'utf8'));
      counts = {passed: r.numPassedTests, failed: r.numFailedTests + r.numRuntimeErrorTestSuites};
    } catch { /* counted as one failure */ }
    if (jest.status !== 0 && counts.failed === 0) counts.failed = 1;
    console.log(`tfjs ${version}: ${counts.passed} passed, ${counts.failed} failed ` +
                `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
    return counts;
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

/** The peer ranges' floors are the releases CI runs: package.json, README and CI agree. */
function checkPeerRange() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const floor = `^${CI_VERSIONS[0]}`;
  const expected = {
    '@tensorflow/tfjs': floor, '@tensorflow/tfjs-backend-wasm': floor,
    '@tensorflow/tfjs-backend-webgpu': `^${WEBGPU_FLOOR}`,
  };
  let ok = true;
  for (const [name, range] of Object.entries(expected)) {
    if (pkg.peerDependencies[name] !== range) {
      console.error(`package.json peerDependencies["${name}"] is ${pkg.peerDependencies[name]}; expected ${range}`);
      ok = false;
    }
    if (!readme.includes(`\`${name}\` \`${range}\``)) {
      console.error(`README.md does not state the peer range as \`${name}\` \`${range}\``);
      ok = false;
    }
  }
  return ok ? {passed: 1, failed: 0} : {passed: 0, failed: 1};
}

function main() {
  const versions = process.argv.slice(2).filter(a => !a.startsWith('--'));
  const projects = option('projects', 'cpu,wasm').split(',');
  const totals = checkPeerRange();
  const run = process.argv.includes('--range-only') ? [] : versions.length ? versions : CI_VERSIONS;
  for (const v of run) {
    const c = runVersion(v, projects);
    totals.passed += c.passed;
    totals.failed += c.failed;
  }
  const json = option('json', null);
  if (json) fs.writeFileSync(json, JSON.stringify(totals));
  process.exit(totals.failed === 0 ? 0 : 1);
}

main();
