#!/usr/bin/env node
/**
 * `npm run keras-models [-- --check|--install]`: regenerates models/keras/ with real
 * Keras 3, tf-keras and tensorflowjs_converter (python/make_models.py), or
 * with --check regenerates elsewhere and compares with the committed files.
 * The pinned Python environment (python/requirements-keras*.txt) lives in a
 * cache folder outside the work tree and is rebuilt when the pins change;
 * --install only builds it (npm test starts that early, in the background).
 */
const {spawnSync} = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const cache = process.env.TFJS_LAYERNORM_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tfjs-layernorm');
const venv = path.join(cache, 'keras-venv');
const python = path.join(venv, 'bin', 'python');
const requirements = path.join(root, 'python', 'requirements-keras.txt');
const noDeps = path.join(root, 'python', 'requirements-keras-nodeps.txt');

function run(command, args) {
  const r = spawnSync(command, args, {cwd: root, stdio: 'inherit'});
  if (r.status !== 0) {
    console.error(`keras-models: ${command} ${args.join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function ensureVenv() {
  const hash = crypto.createHash('sha256')
      .update(fs.readFileSync(requirements)).update(fs.readFileSync(noDeps)).digest('hex');
  const stamp = path.join(venv, '.requirements-sha256');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) return;
  console.log(`keras-models: installing the pinned Python tools into ${venv} (once; ~2 GB)`);
  const start = Date.now();
  if (!fs.existsSync(python)) run('python3', ['-m', 'venv', venv]);
  run(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', requirements]);
  run(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '--no-deps', '-r', noDeps]);
  fs.writeFileSync(stamp, hash);
  console.log(`keras-models: installed in ${((Date.now() - start) / 1000).toFixed(0)} s`);
}

ensureVenv();
if (process.argv.includes('--install')) process.exit(0);
const start = Date.now();
run(python, ['-u', '-B', path.join(root, 'python', 'make_models.py'), ...process.argv.slice(2)]);
console.log(`keras-models: done in ${((Date.now() - start) / 1000).toFixed(0)} s`);
