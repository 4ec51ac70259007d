#!/usr/bin/env node
/**
 * Makes `require('@tensorflow/tfjs-node')` work in this checkout, idempotently,
 * without touching package.json (tfjs-node stays an optional peer).
 *
 *  1. Already loads here: nothing to do.
 *  2. A build cached outside the work tree: restore it into node_modules.
 *  3. The normal install (tfjs-node's own install script, which downloads
 *     libtensorflow), in a cache directory.
 *  4. Otherwise build the binding from the npm sources against the TensorFlow
 *     C API of PyPI's tensorflow-cpu wheel (only its files are used).
 * Each route ends with tfjs-node's smoke test (a matMul and a model.fit).
 * Exits non-zero with the failing step's message when no route works.
 */
const {spawnSync} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const TFJS_NODE_VERSION = '4.22.0';
const TF_VERSION = '2.9.1';  // what tfjs-node 4.22 was built against
const WHEEL = `tensorflow-cpu==${TF_VERSION}`;
const NAPI_VERSION = 8;      // highest in tfjs-node's binary.napi_versions

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'node_modules/@tensorflow/tfjs-node');
const cacheRoot = path.join(
    process.env.TFJS_LAYERNORM_CACHE || path.join(os.homedir(), '.cache/tfjs-layernorm'),
    'tfjs-node');
const npmDir = path.join(cacheRoot, `${TFJS_NODE_VERSION}/npm`);
const builtDir = path.join(
    cacheRoot, `${TFJS_NODE_VERSION}/build-tf${TF_VERSION}-napi${NAPI_VERSION}-${process.platform}-${process.arch}`);
const stamp = path.join(builtDir, 'smoke-test-passed.json');

const SMOKE_TEST = `
const tf = require('@tensorflow/tfjs-node');
if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
const a = tf.tensor2d([[1, 2], [3, 4]]);
const got = Array.from(a.matMul(a).dataSync());
if (got.join() !== '7,10,15,22') throw new Error('matMul gave ' + got);
const model = tf.sequential({layers: [tf.layers.dense({units: 1, inputShape: [3]})]});
model.compile({optimizer: 'sgd', loss: 'meanSquaredError'});
model.fit(tf.ones([16, 3]), tf.ones([16, 1]), {epochs: 2, verbose: 0}).then((h) => {
  if (!h.history.loss.every(Number.isFinite)) throw new Error('model.fit loss ' + h.history.loss);
  console.log(JSON.stringify({tensorflow: tf.backend().binding.TF_Version, tfjsNode: tf.version['tfjs-node'],
                              node: process.version}));
});`;

function log(message) {
  console.log(`setup_tfjs_node: ${message}`);
}

function sh(command, args, options = {}) {
  const r = spawnSync(command, args, {encoding: 'utf8', maxBuffer: 1 << 28, ...options});
  if (r.error) return {ok: false, out: String(r.error)};
  return {ok: r.status === 0, out: `${r.stdout || ''}${r.stderr || ''}`};
}

function must(step, r) {
  if (!r.ok) throw new Error(`${step} failed:\n${r.out.trim().split('\n').slice(-25).join('\n')}`);
  return r.out;
}

/** tfjs-node's smoke test in a child process, from the repository root. */
function smokeTest() {
  const r = sh(process.execPath, ['-e', SMOKE_TEST], {cwd: root, env: {...process.env, TF_CPP_MIN_LOG_LEVEL: '2'}});
  const line = r.out.trim().split('\n').pop();
  return r.ok ? {ok: true, info: JSON.parse(line)} : {ok: false, out: r.out};
}

function rm(p) {
  fs.rmSync(p, {recursive: true, force: true});
}

/**
 * Places a built package at node_modules/@tensorflow/tfjs-node. dist/ is copied
 * so that its `require('@tensorflow/tfjs')` finds this checkout's copy (one
 * tfjs-core per process); the libraries and tfjs-node's own dependencies are
 * links into the cache.
 */
function restore(from) {
  rm(target);
  fs.mkdirSync(target, {recursive: true});
  for (const entry of ['package.json', 'dist', 'lib']) {
    fs.cpSync(path.join(from, entry), path.join(target, entry), {recursive: true});
  }
  fs.symlinkSync(path.join(from, 'deps'), path.join(target, 'deps'));
  fs.symlinkSync(path.join(npmDir, 'deps_node_modules'), path.join(target, 'node_modules'));
}

/** tfjs-node and its dependencies with install scripts off, in the cache. */
function npmInstallSources() {
  const pkg = path.join(npmDir, 'node_modules/@tensorflow/tfjs-node/package.json');
  if (fs.existsSync(pkg) && fs.existsSync(path.join(npmDir, 'deps_node_modules'))) return;
  rm(npmDir);
  fs.mkdirSync(npmDir, {recursive: true});
  fs.writeFileSync(path.join(npmDir, 'package.json'), '{"private": true}\n');
  log(`npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION} --ignore-scripts (cache)`);
  must('npm install', sh('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock',
                                `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`], {cwd: npmDir}));
  // tfjs-node's runtime dependencies without any @tensorflow package.
  const deps = path.join(npmDir, 'deps_node_modules');
  fs.mkdirSync(deps);
  for (const name of fs.readdirSync(path.join(npmDir, 'node_modules'))) {
    if (name === '@tensorflow' || name.startsWith('.')) continue;
    fs.cpSync(path.join(npmDir, 'node_modules', name), path.join(deps, name), {recursive: true});
  }
}

function freshPackageCopy(dir) {
  rm(dir);
  fs.cpSync(path.join(npmDir, 'node_modules/@tensorflow/tfjs-node'), dir, {recursive: true});
}

/** Route 3: tfjs-node's own install script (downloads libtensorflow). */
function normalInstall() {
  const dir = builtDir + '.tmp';
  freshPackageCopy(dir);
  const r = sh(process.execPath, ['scripts/install.js'], {
    cwd: dir, timeout: 600000, env: {...process.env, NODE_PATH: path.join(npmDir, 'node_modules')}});
  if (!r.ok || !fs.existsSync(path.join(dir, `lib/napi-v${NAPI_VERSION}/tfjs_binding.node`))) {
    return {ok: false, out: r.out};
  }
  return publish(dir);
}

/** Moves a finished build to its cache place, installs it here and smoke-tests it. */
function publish(dir) {
  rm(path.join(dir, 'build'));
  rm(builtDir);
  fs.renameSync(dir, builtDir);
  restore(builtDir);
  const r = smokeTest();
  if (r.ok) fs.writeFileSync(stamp, JSON.stringify(r.info) + '\n');
  return r;
}

function findPython() {
  for (const p of ['python3', 'python']) {
    if (sh(p, ['-m', 'pip', '--version']).ok) return p;
  }
  throw new Error('no python3 with pip: needed to download the TensorFlow wheel from PyPI');
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) {
    candidates.push(path.join(path.dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'));
  }
  const npmRoot = sh('npm', ['root', '-g']).out.trim();
  candidates.push(path.join(npmRoot, 'npm/node_modules/node-gyp/bin/node-gyp.js'));
  candidates.push(path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`node-gyp not found (looked at ${candidates.join(', ')})`);
  return found;
}

/** A directory with include/node/{node_api.h,common.gypi}, so node-gyp needs no download. */
function findNodeDir() {
  const candidates = [sh('npm', ['config', 'get', 'nodedir']).out.trim(),
                      path.resolve(path.dirname(process.execPath), '..'), '/usr', '/usr/local'];
  const ok = (d) => d && d !== 'undefined' && fs.existsSync(path.join(d, 'include/node/node_api.h')) &&
      fs.existsSync(path.join(d, 'include/node/common.gypi'));
  const found = candidates.find(ok);
  if (!found) {
    throw new Error(`Node's headers not found (include/node/node_api.h and common.gypi under ` +
                    `${candidates.filter(Boolean).join(', ')}); on Debian: apt-get install libnode-dev`);
  }
  return found;
}

function definedSymbols(lib) {
  return new Set(must(`nm -D ${lib}`, sh('nm', ['-D', '--defined-only', lib])).split('\n')
                     .map((l) => l.trim().split(/\s+/).pop().replace(/@.*/, '')));
}

/** Route 4: the binding built against the C API of PyPI's tensorflow-cpu wheel. */
function buildFromWheel() {
  const python = findPython();
  const wheelDir = path.join(cacheRoot, `wheel-${TF_VERSION}`);
  fs.mkdirSync(wheelDir, {recursive: true});
  let wheel = fs.readdirSync(wheelDir).find((f) => f.endsWith('.whl'));
  if (!wheel) {
    log(`pip download ${WHEEL} (files only, no Python import)`);
    must('pip download', sh(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:',
                                     '--python-version', '3.10', '--platform', 'manylinux2014_x86_64',
                                     WHEEL, '-d', wheelDir]));
    wheel = fs.readdirSync(wheelDir).find((f) => f.endsWith('.whl'));
  }
  const unpacked = path.join(wheelDir, 'unpacked');
  if (!fs.existsSync(path.join(unpacked, 'done'))) {
    rm(unpacked);
    must('unzip wheel', sh(python, ['-c', `
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in z.namelist():
    if (n.startswith('tensorflow/include/tensorflow/c/') or
        n.startswith('tensorflow/include/tensorflow/core/platform/ctstring') or
        n in ('tensorflow/libtensorflow_framework.so.2', 'tensorflow/libtensorflow_cc.so.2',
              'tensorflow/python/_pywrap_tensorflow_internal.so')):
        z.extract(n, sys.argv[2])
`, path.join(wheelDir, wheel), unpacked]));
    fs.writeFileSync(path.join(unpacked, 'done'), wheel);
  }
  const tf = path.join(unpacked, 'tensorflow');
  // The C API lives in libtensorflow_cc.so.2 in newer wheels, in the Python
  // extension library in older ones: take the one that exports what the binding calls.
  const capi = ['libtensorflow_cc.so.2', 'python/_pywrap_tensorflow_internal.so']
      .map((f) => path.join(tf, f))
      .find((f) => fs.existsSync(f) && ['TF_Version', 'TFE_NewContext', 'TFE_Execute']
          .every((s) => definedSymbols(f).has(s)));
  if (!capi) throw new Error(`no library in ${wheel} exports TF_Version/TFE_NewContext/TFE_Execute`);
  log(`C API from ${path.relative(tf, capi)}`);

  const dir = builtDir + '.tmp';
  freshPackageCopy(dir);
  const lib = path.join(dir, 'deps/lib');
  fs.mkdirSync(lib, {recursive: true});
  fs.cpSync(path.join(tf, 'include'), path.join(dir, 'deps/include'), {recursive: true});
  const soname = must('readelf', sh('readelf', ['-d', capi])).match(/SONAME\)\s+Library soname: \[(.+)\]/)[1];
  fs.copyFileSync(capi, path.join(lib, soname));
  fs.symlinkSync(soname, path.join(lib, 'libtensorflow.so'));
  fs.copyFileSync(path.join(tf, 'libtensorflow_framework.so.2'), path.join(lib, 'libtensorflow_framework.so.2'));
  fs.symlinkSync('libtensorflow_framework.so.2', path.join(lib, 'libtensorflow_framework.so'));

  // The Python extension library refers to CPython symbols; Node has none, and
  // the C API never calls them: a stub library satisfies the loader.
  const pySymbols = [...new Set(must('nm -D', sh('nm', ['-D', '--undefined-only', capi])).split('\n')
      .map((l) => l.trim().split(/\s+/).pop())
      .filter((s) => /^_?Py/.test(s) && !s.includes('@')))];
  const gypFile = path.join(dir, 'binding.gyp');
  if (pySymbols.length > 0) {
    const stubC = path.join(dir, 'deps/python_stub.c');
    fs.writeFileSync(stubC, '#include <stdlib.h>\n' + pySymbols.map((s) => `void ${s}(void) { abort(); }\n`).join(''));
    must('cc python stub', sh('cc', ['-shared', '-fPIC', '-O1', '-Wl,-soname,libtfjs_python_stub.so', '-o',
                                     path.join(lib, 'libtfjs_python_stub.so'), stubC]));
    const gyp = fs.readFileSync(gypFile, 'utf8');
    const patched = gyp.replace("'-ltensorflow_framework',",
                                "'-ltensorflow_framework', '-Wl,--no-as-needed', '-ltfjs_python_stub',");
    if (patched === gyp) throw new Error('binding.gyp: libraries list not found');
    fs.writeFileSync(gypFile, patched);
  }

  const nodeGyp = findNodeGyp();
  const nodedir = findNodeDir();
  log(`node-gyp rebuild (headers from ${nodedir}/include/node)`);
  must('node-gyp rebuild', sh(process.execPath, [
    nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--module_name=tfjs_binding',
    `--module_path=${path.join(dir, `lib/napi-v${NAPI_VERSION}`)}`, `--napi_build_version=${NAPI_VERSION}`,
    `-j`, String(Math.max(1, os.cpus().length)),
  ], {cwd: dir}));
  const r = publish(dir);
  if (r.ok) rm(unpacked);  // its libraries now live in the build; the wheel stays for a rebuild
  return r;
}

function main() {
  let r = smokeTest();
  if (r.ok) {
    log(`ready: TensorFlow ${r.info.tensorflow}, tfjs-node ${r.info.tfjsNode}, Node ${r.info.node}`);
    return;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`@tensorflow/tfjs-node does not load and this script builds only for linux-x64:\n${r.out}`);
  }
  if (fs.existsSync(stamp)) {
    log(`restoring the cached build ${builtDir}`);
    restore(builtDir);
    r = smokeTest();
    if (r.ok) {
      log(`ready: TensorFlow ${r.info.tensorflow}, tfjs-node ${r.info.tfjsNode}, Node ${r.info.node}`);
      return;
    }
    log(`cached build fails its smoke test; rebuilding:\n${r.out}`);
    rm(stamp);
  }
  npmInstallSources();
  log('trying the normal install (tfjs-node downloads libtensorflow)');
  r = normalInstall();
  if (!r.ok) {
    log(`normal install failed: ${r.out.trim().split('\n').filter((l) => /Error|error/.test(l)).slice(0, 3).join(' | ')}`);
    log(`building the binding against the TensorFlow C API of PyPI's ${WHEEL}`);
    r = buildFromWheel();
    if (!r.ok) throw new Error(`the built tfjs-node fails its smoke test:\n${r.out}`);
  }
  log(`ready: TensorFlow ${r.info.tensorflow}, tfjs-node ${r.info.tfjsNode}, Node ${r.info.node}`);
}

try {
  main();
} catch (e) {
  console.error(`setup_tfjs_node: ${e.message}`);
  process.exit(1);
}
