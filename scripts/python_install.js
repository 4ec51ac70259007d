#!/usr/bin/env node
/**
 * The Python side as docs/keras.md tells a user to use it:
 *
 *  1. its install block (```sh with `pip install "./python[convert]"`), run
 *     as written in a fresh venv that stands for the activated `.venv`
 *     (~/.cache/tfjs-layernorm/convert-venv-<hash of pyproject.toml and the
 *     constraints>; the line runs again when it or the twin's sources change,
 *     otherwise the venv is used as it is);
 *  2. its round trip (the ```python roundtrip, ```sh roundtrip and
 *     ```js roundtrip blocks) in a scratch folder: Keras saves a model with
 *     the twin, the converter converts it, this package loads it in TF.js
 *     (dist/, by the package's own name); the difference must be <= 1e-5;
 *  3. the twin's ImportErrors: installed alone (`pip install ./python`), and
 *     with `[keras3]` but no backend, `from tfjs_layernorm import LayerNorm`
 *     must say what is missing.
 *
 *   node scripts/python_install.js [--json=FILE]
 *
 * The JSON file gets {passed, failed}, one count per check.
 */
const {spawnSync} = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const {checkCounter, fencedBlocks, sh} = require('./step_checks');

const root = path.resolve(__dirname, '..');
const cache = process.env.TFJS_LAYERNORM_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tfjs-layernorm');
const DOC = path.join(root, 'docs/keras.md');
/** What the converted model may differ from Keras by (docs/keras.md's bound). */
const TOLERANCE = 1e-5;
const INSTALL_LINE = /^pip install "\.\/python\[convert\]"/;

const {check, finish} = checkCounter('python');

/** The environment of an activated venv (what `. .venv/bin/activate` sets). */
const activated = venv => ({VIRTUAL_ENV: venv, PATH: `${path.join(venv, 'bin')}:${process.env.PATH}`,
                            PIP_DISABLE_PIP_VERSION_CHECK: '1', TF_CPP_MIN_LOG_LEVEL: '2'});

const hashOf = (files, extra = '') => crypto.createHash('sha256')
    .update(files.map(f => fs.readFileSync(path.join(root, f))).join('\0')).update(extra)
    .digest('hex').slice(0, 12);
const DEPENDENCIES = ['python/pyproject.toml', 'python/constraints-convert.txt'];
const TWIN = fs.readdirSync(path.join(root, 'python/tfjs_layernorm'))
    .filter(f => f.endsWith('.py')).sort().map(f => `python/tfjs_layernorm/${f}`);

/**
 * The venv `<prefix>-<hash of the dependency files>` with `installLines` run
 * in it: made afresh when the dependency files change (old ones of that
 * prefix removed), the lines rerun when they or the twin's sources change,
 * nothing done when its .complete marker names the current state.
 */
function venvWith(prefix, installLines) {
  const dir = path.join(cache, `${prefix}-${hashOf(DEPENDENCIES)}`);
  const complete = path.join(dir, '.complete');
  const state = hashOf([...DEPENDENCIES, ...TWIN], installLines.join('\n'));
  if (fs.existsSync(complete) && fs.readFileSync(complete, 'utf8') === state) return dir;
  fs.mkdirSync(cache, {recursive: true});
  for (const old of fs.readdirSync(cache).filter(d => d.startsWith(`${prefix}-`) && d !== path.basename(dir))) {
    fs.rmSync(path.join(cache, old), {recursive: true, force: true});
  }
  if (!fs.existsSync(complete)) {
    fs.rmSync(dir, {recursive: true, force: true});
    sh(root, 'python3', ['-m', 'venv', dir]);
  }
  fs.rmSync(complete, {force: true});
  for (const line of installLines) sh(root, 'bash', ['-euc', line], activated(dir));
  fs.writeFileSync(complete, state);
  return dir;
}

async function main() {
  const started = Date.now();
  const blocks = fencedBlocks(DOC);
  const install = blocks.find(b => b.lang === 'sh' && b.code.split('\n').some(l => INSTALL_LINE.test(l)));
  const roundtrip = lang => {
    const block = blocks.find(b => b.lang === lang && b.info === 'roundtrip');
    if (!block) throw new Error(`${DOC} has no \`\`\`${lang} roundtrip block`);
    return block.code;
  };
  let venv = null;
  await check('docs/keras.md\'s install lines, as written, in a fresh venv', () => {
    if (!install) throw new Error(`${DOC} has no \`\`\`sh block with \`pip install "./python[convert]"\``);
    // The venv line makes `.venv` and activates it; the cached venv stands for it.
    const lines = install.code.split('\n').filter(l => l.trim() && !/^python3 -m venv /.test(l));
    if (!lines.every(l => /^pip install /.test(l))) throw new Error(`unexpected install lines: ${lines}`);
    venv = venvWith('convert-venv', lines);
  });

  await check('docs/keras.md\'s round trip: Keras + twin -> converter -> tf.loadLayersModel, within 1e-5', () => {
    if (!venv) throw new Error('no environment (the install failed)');
    if (!fs.existsSync(path.join(root, 'dist/esm/index.js'))) sh(root, process.execPath, ['scripts/build.js']);
    // Inside the repository, so that `tfjs-layernorm` resolves to this package (dist/) by its name.
    fs.mkdirSync(path.join(root, '.out'), {recursive: true});
    const work = fs.mkdtempSync(path.join(root, '.out', 'python-roundtrip-'));
    try {
      fs.writeFileSync(path.join(work, 'keras_to_tfjs.py'), roundtrip('python'));
      fs.writeFileSync(path.join(work, 'check.mjs'), roundtrip('js'));
      sh(work, 'bash', ['-euc', roundtrip('sh')], activated(venv));
      const out = sh(work, process.execPath, ['check.mjs']);
      const m = /max \|TF\.js - Keras\| = (\S+)/.exec(out);
      if (!m || !(Number(m[1]) <= TOLERANCE)) throw new Error(`check.mjs printed:\n${out}`);
      console.log(`python: max |TF.js - Keras| = ${m[1]}`);
    } finally {
      fs.rmSync(work, {recursive: true, force: true});
    }
  });

  const importLayerNorm = ['-c', 'from tfjs_layernorm import LayerNorm'];
  const importFails = (dir, expected) => {
    const r = spawnSync(path.join(dir, 'bin/python'), importLayerNorm,
                        {cwd: os.tmpdir(), encoding: 'utf8', env: {...process.env, ...activated(dir)}});
    if (r.status === 0 || !expected.every(re => re.test(r.stderr))) {
      throw new Error(`expected an ImportError matching ${expected.join(', ')}; got (${r.status}):\n${r.stderr}`);
    }
  };
  await check('pip install ./python alone: importing LayerNorm says Keras is missing', () => {
    importFails(venvWith('twin-alone-venv', ['pip install -q ./python']),
                [/ImportError: tfjs_layernorm\.LayerNorm needs Keras 3/, /pip install/]);
  });
  await check('pip install "./python[keras3]" (no backend): importing tfjs_layernorm names the missing backend', () => {
    importFails(venvWith('keras3-venv', ['pip install -q "./python[keras3]"']),
                [/No module named 'tensorflow'/, /Keras 3 is installed but cannot be imported/]);
  });

  finish(started);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
