#!/usr/bin/env node
/**
 * `npm test`: every test, on a fresh machine of this kind.
 *
 *  1. Makes sure Debian's chromium is there (its SwiftShader Vulkan driver
 *     runs WebGPU in Node; the browser runs the WebGL/WebGPU suites):
 *     installs it with apt-get when absent and running as root, otherwise
 *     stops with a clear message. GPU suites never skip silently.
 *  2. Makes sure `require('@tensorflow/tfjs-node')` works
 *     (scripts/setup_tfjs_node.js; when it cannot, the `tensorflow` jest
 *     project fails every file).
 *  3. Builds dist/ (the browser suites load the bundles).
 *  4. Runs jest (all Node projects) with the GPU driver environment set
 *     before Node starts, as the native WebGPU loader needs.
 *  5. Runs the browser suites (test/browser/run.js), when present.
 *  6. Re-records the framework fixtures (interop/generate.sh --check) and the
 *     Keras/converter models (scripts/keras_models.js --check) with the real
 *     tools and compares them with the committed ones. Their Python venvs
 *     install in the background from the start (mostly downloads), so that a
 *     fresh machine overlaps them with the Node suites.
 *     The Python side as docs/keras.md tells users to install and use it
 *     (scripts/python_install.js) runs in the background once those venvs
 *     and dist/ are there.
 *  7. Packs and installs the package and uses every entry point
 *     (scripts/test_package.js); runs the cpu and wasm jest projects on the
 *     oldest TF.js release of the peer range (scripts/test_tfjs_versions.js).
 * Ends with one line `N passed, N failed` over all steps.
 */
const {spawn, spawnSync} = require('child_process');
const fs = require('fs');
const path = require('path');
const {CHROMIUM_BINARY, gpuEnvironment, requireChromium} = require('./environment');

const root = path.resolve(__dirname, '..');
/** Results and scratch files: git-ignored, never inside the published dist/. */
const OUT = path.join(root, '.out');

function run(command, args, extraEnv = {}) {
  const r = spawnSync(command, args, {
    cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
    env: {...process.env, ...extraEnv},
  });
  return r.status == null ? 1 : r.status;
}

function ensureChromium() {
  if (fs.existsSync(CHROMIUM_BINARY)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !fs.existsSync('/usr/bin/apt-get')) {
    console.error(`npm test: ${CHROMIUM_BINARY} is missing and this is not a root Debian ` +
                  `machine; install Debian's chromium package and run again.`);
    process.exit(1);
  }
  console.log('npm test: installing Debian chromium (GPU driver and browser for the GPU suites)');
  const env = {DEBIAN_FRONTEND: 'noninteractive'};
  if (run('apt-get', ['update', '-qq'], env) !== 0 ||
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], env) !== 0) {
    console.error('npm test: apt-get install chromium failed');
    process.exit(1);
  }
}

/** As run, without blocking the event loop (background steps start while it runs). */
function runAsync(command, args, extraEnv = {}) {
  return new Promise(resolve => {
    const child = spawn(command, args, {
      cwd: root, stdio: ['ignore', 'inherit', 'inherit'],
      env: {...process.env, ...extraEnv},
    });
    child.on('error', () => resolve(1));
    child.on('close', status => resolve(status == null ? 1 : status));
  });
}

/** Reads jest's JSON summary for the closing line. */
function jestCounts(file) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    return {passed: r.numPassedTests, failed: r.numFailedTests + r.numRuntimeErrorTestSuites};
  } catch {
    return {passed: 0, failed: 1};
  }
}

/** Runs a script that writes {passed, failed} to --json=FILE; its counts. */
function countedStep(script) {
  const out = path.join(OUT, `${path.basename(script, '.js')}-results.json`);
  fs.rmSync(out, {force: true});
  const status = run(process.execPath, [script, `--json=${out}`]);
  let counts = {passed: 0, failed: 1};
  try {
    counts = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch { /* counted as a failure */ }
  if (status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

/** countedStep in the background, its output in .out/<script>.log (printed when it ends). */
function countedStepInBackground(script) {
  const name = path.basename(script, '.js');
  const out = path.join(OUT, `${name}-results.json`);
  const logFile = path.join(OUT, `${name}.log`);
  fs.rmSync(out, {force: true});
  return new Promise(resolve => {
    const log = fs.openSync(logFile, 'w');
    const child = spawn(process.execPath, [script, `--json=${out}`], {cwd: root, stdio: ['ignore', log, log]});
    let ended = false;
    const done = status => {
      if (ended) return;
      ended = true;
      fs.closeSync(log);
      process.stdout.write(fs.readFileSync(logFile, 'utf8'));
      let counts = {passed: 0, failed: 1};
      try {
        counts = JSON.parse(fs.readFileSync(out, 'utf8'));
      } catch { /* counted as a failure */ }
      if (status !== 0 && counts.failed === 0) counts.failed = 1;
      resolve(counts);
    };
    child.on('error', () => done(1));
    child.on('close', done);
  });
}

/** Starts the Python venv installs of step 6; resolves when both ended. */
function installVenvsInBackground() {
  fs.mkdirSync(OUT, {recursive: true});
  const installs = [['bash', ['interop/generate.sh', '--install']],
                    [process.execPath, ['scripts/keras_models.js', '--install']]];
  return Promise.all(installs.map(([command, args], i) => new Promise(resolve => {
    const log = fs.openSync(path.join(OUT, `venv-install-${i}.log`), 'w');
    const child = spawn(command, args, {cwd: root, stdio: ['ignore', log, log]});
    child.on('error', resolve);
    child.on('close', resolve);
  })));
}

async function main() {
  const venvs = installVenvsInBackground();
  ensureChromium();
  requireChromium();
  if (run(process.execPath, ['scripts/setup_tfjs_node.js']) !== 0) {
    console.error('npm test: tfjs-node is not available; the tensorflow test project will fail');
  }
  if (run(process.execPath, ['scripts/build.js']) !== 0) {
    console.error('npm test: build failed');
    process.exit(1);
  }
  // pip after the fixture venvs (one download of the shared wheels), with dist/ built;
  // alongside jest.
  const python = venvs.then(() => countedStepInBackground('scripts/python_install.js'));
  const totals = {passed: 0, failed: 0};
  fs.mkdirSync(OUT, {recursive: true});
  const jestJson = path.join(OUT, 'jest-results.json');
  const jestStatus = await runAsync(process.execPath, [
    require.resolve('jest/bin/jest'), '--ci', '--json', `--outputFile=${jestJson}`,
    ...process.argv.slice(2),
  ], gpuEnvironment());
  const j = jestCounts(jestJson);
  totals.passed += j.passed;
  totals.failed += j.failed + (jestStatus !== 0 && j.failed === 0 ? 1 : 0);

  const browserSuite = path.join(root, 'test/browser/run.js');
  if (fs.existsSync(browserSuite)) {
    const out = path.join(OUT, 'browser-results.json');
    const status = run(process.execPath, [browserSuite, `--json=${out}`]);
    let counts = {passed: 0, failed: 1};
    try {
      counts = JSON.parse(fs.readFileSync(out, 'utf8'));
    } catch { /* counted as a failure */ }
    totals.passed += counts.passed;
    totals.failed += counts.failed + (status !== 0 && counts.failed === 0 ? 1 : 0);
  }
  // Fixtures re-recorded from the real frameworks, Keras and its converter
  // (pinned venvs cached outside the work tree); one check each. A failed
  // background install is retried there, in the open.
  await venvs;
  for (const [command, args] of [['bash', ['interop/generate.sh', '--check']],
                                 [process.execPath, ['scripts/keras_models.js', '--check']]]) {
    run(command, args) === 0 ? totals.passed++ : totals.failed++;
  }
  const p = await python;
  totals.passed += p.passed;
  totals.failed += p.failed;
  // The package as published (pack, install, every entry point), and the
  // oldest TF.js release of the peer range (cpu and wasm projects).
  for (const step of ['scripts/test_package.js', 'scripts/test_tfjs_versions.js']) {
    const c = countedStep(step);
    totals.passed += c.passed;
    totals.failed += c.failed;
  }
  console.log(`\n${totals.passed} passed, ${totals.failed} failed`);
  process.exit(totals.failed === 0 ? 0 : 1);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
