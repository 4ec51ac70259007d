#!/usr/bin/env node
/**
 * The published package as a user gets it: `npm pack` (which builds through
 * `prepack`), then the tarball installed with npm beside @tensorflow/tfjs in
 * a fresh project under the system temp folder, where every entry point is
 * used: CommonJS require, ESM import (and both in one process), the /wasm and /webgpu subpaths,
 * `tsc --noEmit` under each moduleResolution, an esbuild browser bundle and
 * the UMD builds in headless Chromium; @arethetypeswrong/cli checks the
 * tarball's types. The README's snippets run there too, as pasted, in a
 * folder that the Quick start's own `npm init -y && npm pkg set type=module`
 * line made an ES module project: js with node, ts through tsx (and
 * type-checked under node16), html in Chromium with the
 * CDN answered from the installed packages.
 *
 *   node scripts/test_package.js [--json=FILE] [--keep] [--tfjs=VERSION]
 *
 * --tfjs installs that release of TF.js (default: the one installed here)
 * without npm's peer checks.
 *
 * The JSON file gets {passed, failed}, one count per check.
 */
const {spawn} = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const {gpuEnvironment} = require('./environment');
const {readmeSnippets} = require('./readme_snippets');
const {checkCounter, sh} = require('./step_checks');

const root = path.resolve(__dirname, '..');
const NAME = 'tfjs-layernorm';
const TFJS_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu'];
/** Every published file is under one of these (npm adds package.json, README, LICENSE). */
const PUBLISHED = [/^dist\/(cjs|esm|types|browser)\//, /^src\//, /^(package\.json|README\.md|LICENSE)$/];
/** The consumer's folder of README snippets, set up as the README's Quick start says. */
const SNIPPETS = 'snippets';
const REQUIRED = [
  'LICENSE', 'README.md', 'dist/cjs/index.js', 'dist/esm/index.js', 'dist/types/index.d.ts',
  'dist/types/index.d.mts', 'dist/types/wasm.d.mts', 'dist/types/webgpu.d.ts',
  'dist/browser/tfjs-layernorm.umd.js', 'dist/browser/tfjs-layernorm.umd.min.js',
  'dist/browser/tfjs-layernorm-wasm.umd.min.js', 'dist/browser/tfjs-layernorm-webgpu.umd.min.js',
];

const option = name => {
  const arg = process.argv.find(a => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : null;
};
const {counts, check, finish} = checkCounter('package');

function spawnAsync(command, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => stdout += d);
    child.stderr.on('data', d => stderr += d);
    child.on('error', reject);
    child.on('close', status => resolve({status, stdout, stderr}));
  });
}

const installedVersion = p => (p.startsWith('@tensorflow/') && option('tfjs')) ||
  JSON.parse(fs.readFileSync(path.join(root, 'node_modules', p, 'package.json'), 'utf8')).version;

/** The float64 LayerNorm of each row (no gamma/beta) the runtime checks compare against. */
function expectedRows(rows) {
  return rows.flatMap(r => {
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length;
    return r.map(v => (v - mean) / Math.sqrt(variance + 1e-5));
  });
}
const ROWS = [[1, 2, 3, 4], [10, 20, 30, 50]];
const EXPECTED = expectedRows(ROWS);

/** Project files of the consumer: one runtime check per module system, type checks per resolver. */
function consumerFiles() {
  const common = `
const rows = ${JSON.stringify(ROWS)};
const expected = ${JSON.stringify(EXPECTED)};
function near(got, what) {
  if (got.length !== expected.length || got.some((v, i) => !(Math.abs(v - expected[i]) < 1e-5))) {
    throw new Error(what + ': got ' + Array.from(got) + ', expected ' + expected);
  }
}
async function run() {
  await tf.setBackend('cpu');
  near(layerNorm(tf.tensor2d(rows)).dataSync(), 'layerNorm on cpu');
  if (!tf.getKernel('TfjsLayerNorm', 'cpu')) throw new Error('no cpu kernel registered');
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
  near(layerNorm(tf.tensor2d(rows)).dataSync(), 'layerNorm on wasm');
  if (wasm.wasmKernelsInUse(tf.backend()) !== 'simd') throw new Error('wasm kernels: not SIMD');
  const warnings = [];
  const warn = console.warn;
  console.warn = m => warnings.push(String(m));
  const webgpuStarted = await tf.setBackend('webgpu');
  console.warn = warn;
  if (webgpuStarted || !/WebGPU is not available here/.test(warnings.join('\\n'))) {
    throw new Error('/webgpu without navigator.gpu: ' + webgpuStarted + ' ' + warnings.join(' | '));
  }
  if (typeof webgpu.registerWebGPUKernels !== 'function') throw new Error('/webgpu exports');
  if (typeof layerNormLayer({axis: -1}).apply !== 'function') throw new Error('layerNormLayer');
  console.log('ok');
}
run().catch(e => { console.error(e); process.exit(1); });
`;
  const typeCheck = `
import * as tf from '@tensorflow/tfjs';
import {LayerNorm, layerNorm, layerNormLayer, layerNormWithStats} from '${NAME}';
import {wasmKernelsInUse, KernelImplementation} from '${NAME}/wasm';
import {registerWebGPUKernels} from '${NAME}/webgpu';

const x: tf.Tensor2D = tf.ones([2, 4]);
const y: tf.Tensor2D = layerNorm(x, null, null, {axis: -1});
const s: tf.Tensor3D = layerNormWithStats(tf.ones([2, 3, 4]) as tf.Tensor3D).mean;
const fromArray: tf.Tensor = layerNorm([[1, 2], [3, 4]]);
const inUse: KernelImplementation = wasmKernelsInUse(tf.backend());
const layer: LayerNorm = layerNormLayer({axis: 1, epsilon: 1e-5});
registerWebGPUKernels();
export {y, s, fromArray, inUse, layer};
`;
  // js/ts snippets go to snippets/, which the README's own commands make an ES module project.
  const snippets = Object.fromEntries(readmeSnippets().map(sn => [
    sn.lang === 'html' ? `readme_${sn.line}.html` : `${SNIPPETS}/readme_${sn.line}.${sn.lang}`, sn.code]));
  const tsSnippets = Object.keys(snippets).filter(f => f.endsWith('.ts'));
  const tsconfig = (module, moduleResolution, files) => JSON.stringify({
    compilerOptions: {
      module, moduleResolution, target: 'ES2020', strict: true, noEmit: true,
      lib: ['ES2020', 'DOM'], types: [], esModuleInterop: true,
    },
    files,
  });
  return {
    'package.json': JSON.stringify({name: 'consumer', version: '1.0.0', private: true}),
    'require.cjs': `const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const {layerNorm, layerNormLayer} = require('${NAME}');
const wasm = require('${NAME}/wasm');
const webgpu = require('${NAME}/webgpu');
${common}`,
    'import.mjs': `import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {layerNorm, layerNormLayer} from '${NAME}';
import * as wasm from '${NAME}/wasm';
import * as webgpu from '${NAME}/webgpu';
${common}`,
    // Both builds in one process, as a program that requires and imports the package gets them.
    'dual.mjs': `import {createRequire} from 'module';
import {checkDualBuilds} from './dual_builds.mjs';
const require = createRequire(import.meta.url);
await checkDualBuilds(require('@tensorflow/tfjs'), require('${NAME}'), await import('${NAME}'));
console.log('ok');
`,
    'dual_builds.mjs': fs.readFileSync(path.join(root, 'test/shared/dual_builds.mjs'), 'utf8'),
    'check.ts': typeCheck,
    'check_esm.mts': typeCheck,
    ...snippets,
    'tsconfig.node16.json': tsconfig('node16', 'node16', ['check.ts', 'check_esm.mts', ...tsSnippets]),
    'tsconfig.nodenext.json': tsconfig('nodenext', 'nodenext', ['check.ts', 'check_esm.mts']),
    'tsconfig.bundler.json': tsconfig('esnext', 'bundler', ['check.ts']),
    'tsconfig.node.json': tsconfig('commonjs', 'node', ['check.ts']),
    'browser_entry.js': `import * as tf from '@tensorflow/tfjs';
import {layerNorm} from '${NAME}';
window.bundleRun = async backend => {
  await tf.setBackend(backend);
  return {backend: tf.getBackend(), kernel: !!tf.getKernel('TfjsLayerNorm', backend),
          y: Array.from(layerNorm(tf.tensor2d(${JSON.stringify(ROWS)})).dataSync())};
};
`,
    'index.html': '<!doctype html><meta charset="utf-8"><title>package check</title>',
  };
}

function near(got, what) {
  if (got.length !== EXPECTED.length || got.some((v, i) => !(Math.abs(v - EXPECTED[i]) < 1e-5))) {
    throw new Error(`${what}: got ${got}, expected ${EXPECTED}`);
  }
}

async function inChromium(dir) {
  const {launchChromium} = require('../test/browser/chromium');
  const {serveDirectory} = require('../test/browser/server');
  const esbuild = require('esbuild');
  await esbuild.build({
    entryPoints: [path.join(dir, 'browser_entry.js')], outfile: path.join(dir, 'bundle.js'),
    bundle: true, format: 'iife', platform: 'browser', target: 'es2019', logLevel: 'warning',
  });
  const server = await serveDirectory(dir);
  const browser = await launchChromium();
  const modules = `node_modules/${NAME}/dist/browser`;
  const tfjs = 'node_modules/@tensorflow';
  const pageWith = async scripts => {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', e => errors.push(e.message));
    await page.goto(`${server.origin}/index.html`);
    for (const s of scripts) await page.addScriptTag({url: `${server.origin}/${s}`});
    return {page, errors};
  };
  try {
    for (const min of ['', '.min']) {
      await check(`UMD${min} builds in Chromium (cpu, webgl, wasm)`, async () => {
        const {page, errors} = await pageWith([
          `${tfjs}/tfjs/dist/tf.min.js`, `${tfjs}/tfjs-backend-wasm/dist/tf-backend-wasm.min.js`,
          `${modules}/tfjs-layernorm.umd${min}.js`, `${modules}/tfjs-layernorm-wasm.umd${min}.js`,
        ]);
        for (const backend of ['cpu', 'webgl', 'wasm']) {
          const r = await page.evaluate(async ([b, rows]) => {
            await tf.setBackend(b);
            const y = tfLayerNorm.layerNorm(tf.tensor2d(rows)).dataSync();
            return {backend: tf.getBackend(), kernel: !!tf.getKernel('TfjsLayerNorm', b),
                    wasmKernels: b === 'wasm' ? tfLayerNormWasm.wasmKernelsInUse(tf.backend()) : null,
                    y: Array.from(y)};
          }, [backend, ROWS]);
          if (r.backend !== backend || !r.kernel) throw new Error(`${backend}: ${JSON.stringify(r)}`);
          if (backend === 'wasm' && r.wasmKernels !== 'simd') throw new Error(`wasm kernels: ${r.wasmKernels}`);
          near(r.y, `UMD${min} on ${backend}`);
        }
        if (errors.length) throw new Error(errors.join('\n'));
        await page.close();
      });
    }
    await check('esbuild browser bundle in Chromium (cpu, webgl)', async () => {
      const {page, errors} = await pageWith(['bundle.js']);
      for (const backend of ['cpu', 'webgl']) {
        const r = await page.evaluate(b => window.bundleRun(b), backend);
        if (r.backend !== backend || !r.kernel) throw new Error(`${backend}: ${JSON.stringify(r)}`);
        near(r.y, `esbuild bundle on ${backend}`);
      }
      if (errors.length) throw new Error(errors.join('\n'));
      await page.close();
    });
    for (const file of fs.readdirSync(dir).filter(f => /^readme_\d+\.html$/.test(f))) {
      await check(`README.md:${/\d+/.exec(file)[0]} runs as pasted (Chromium, CDN from the installed packages)`, async () => {
        const page = await browser.newPage();
        const errors = [];
        page.on('pageerror', e => errors.push(e.message));
        await page.route('https://cdn.jsdelivr.net/**', route => {
          const m = /^https:\/\/cdn\.jsdelivr\.net\/npm\/(@?[^@]+)@([^/]+)\/(.*)$/.exec(route.request().url());
          const pkgDir = m && path.join(dir, 'node_modules', m[1]);
          const version = m && JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
          if (!m || (version !== m[2] && !(option('tfjs') && m[1].startsWith('@tensorflow/')))) {
            errors.push(`${route.request().url()}: not an installed package version (${version})`);
            return route.abort();
          }
          return route.fulfill({path: path.join(pkgDir, m[3])});
        });
        await page.goto(`${server.origin}/${file}`);
        await page.waitForFunction(() => document.getElementById('out')?.textContent, null, {timeout: 30000})
            .catch(() => errors.push('#out stayed empty'));
        const text = await page.evaluate(() => document.getElementById('out')?.textContent ?? '');
        if (errors.length) throw new Error(errors.join('\n'));
        if (!text.startsWith('webgl: ')) throw new Error(`#out: ${text}`);
        near(text.slice('webgl: '.length).split(',').map(Number), file);
        await page.close();
      });
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

async function main() {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${NAME}-package-`));
  try {
    let tarball;
    await check('npm pack builds through prepack and publishes only the package', () => {
      const out = sh(root, 'npm', ['pack', '--json', '--pack-destination', dir]);
      // prepack's own output comes first on stdout.
      const [info] = JSON.parse(out.slice(out.search(/^\[/m)));
      tarball = path.join(dir, info.filename);
      const files = info.files.map(f => f.path);
      const stray = files.filter(f => !PUBLISHED.some(re => re.test(f)));
      if (stray.length) throw new Error(`unexpected files in the tarball: ${stray.join(', ')}`);
      const missing = REQUIRED.filter(f => !files.includes(f));
      if (missing.length) throw new Error(`missing from the tarball: ${missing.join(', ')}`);
    });
    if (!tarball) throw new Error('no tarball: nothing else to check');

    await check('@arethetypeswrong/cli finds no problem', () => {
      const attw = path.join(root, 'node_modules/@arethetypeswrong/cli',
                             require('@arethetypeswrong/cli/package.json').bin.attw);
      sh(root, process.execPath, [attw, tarball]);
    });

    const consumer = path.join(dir, 'consumer');
    fs.mkdirSync(consumer);
    fs.mkdirSync(path.join(consumer, SNIPPETS));
    for (const [file, text] of Object.entries(consumerFiles())) fs.writeFileSync(path.join(consumer, file), text);
    await check('npm install of the tarball beside @tensorflow/tfjs (peer range accepted)', () => {
      // --tfjs: the WebGPU backend of an older release lies outside its peer
      // range (^4.22.0), so peer checks are off for that by-hand run.
      sh(consumer, 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error',
                           ...(option('tfjs') ? ['--legacy-peer-deps'] : []),
                           tarball, ...[...TFJS_PACKAGES, 'webgpu'].map(p => `${p}@${installedVersion(p)}`)]);
    });
    const snippetDir = path.join(consumer, SNIPPETS);
    await check('README.md\'s Quick start makes the project an ES module (npm init, then its line)', () => {
      const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
      const setup = readme.split('\n').find(l => /^npm init -y/.test(l));
      if (!setup) throw new Error('README.md has no `npm init -y ...` line');
      sh(snippetDir, 'bash', ['-euc', setup]);
      const type = JSON.parse(fs.readFileSync(path.join(snippetDir, 'package.json'), 'utf8')).type;
      if (type !== 'module') throw new Error(`${setup} left "type": ${type}`);
    });
    await check('CommonJS require (main, /wasm, /webgpu)', () => {
      sh(consumer, process.execPath, ['require.cjs']);
    });
    await check('ESM import (main, /wasm, /webgpu)', () => {
      sh(consumer, process.execPath, ['import.mjs']);
    });
    await check('CommonJS and ES module builds in one process: one opt-in state, instanceof LayerNorm', () => {
      sh(consumer, process.execPath, ['dual.mjs']);
    });
    const tsc = require.resolve('typescript/bin/tsc');
    // The four resolvers and the API reference at once (each is mostly single-threaded).
    const apiReference = check('TypeDoc: no warnings; modules named as imported, README as landing page, ' +
                               'no inherited TF.js internals, the op documented', async () => {
      const out = path.join(dir, 'api');
      const typedoc = path.join(root, 'node_modules/typedoc/bin/typedoc');
      // typedoc.config.mjs sets treatWarningsAsErrors.
      const r = await spawnAsync(process.execPath, [typedoc, '--out', out], root);
      if (r.status !== 0) throw new Error(r.stdout + r.stderr);
      const page = file => fs.readFileSync(path.join(out, file), 'utf8');
      for (const module of ['tfjs-layernorm', 'tfjs-layernorm_wasm', 'tfjs-layernorm_webgpu']) page(`modules/${module}.html`);
      if (!page('index.html').includes('Quick start')) throw new Error('index.html is not the README');
      if (/_refCount|trainableWeights/.test(page('classes/tfjs-layernorm.LayerNorm.html'))) {
        throw new Error('the LayerNorm page lists TF.js\'s inherited members');
      }
      for (const fn of ['layerNorm', 'layerNormWithStats']) {
        if (!page(`functions/tfjs-layernorm.${fn}.html`).includes('Scale shaped as')) {
          throw new Error(`the ${fn} page has no parameter documentation`);
        }
      }
    });
    await Promise.all([apiReference, ...['node16', 'nodenext', 'bundler', 'node'].map(resolution =>
      check(`tsc --noEmit, moduleResolution ${resolution}`, async () => {
        // No skipLibCheck, so our declarations are checked too; TF.js's own
        // declarations do not pass strict checks (its users set skipLibCheck).
        const r = await spawnAsync(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], consumer);
        const errors = r.stdout.split('\n').filter(l => /^\S.*: error TS/.test(l));
        const ours = errors.filter(l => !l.startsWith('node_modules/@tensorflow/'));
        if (ours.length || (r.status !== 0 && !errors.length)) throw new Error(r.stdout + r.stderr);
      }))]);
    // As the README says: `node example.js`, `npx tsx example.ts` (tsx: this repository's).
    const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');
    const byLine = (a, b) => Number(/\d+/.exec(a)[0]) - Number(/\d+/.exec(b)[0]);
    for (const file of fs.readdirSync(snippetDir).filter(f => /^readme_\d+\.[jt]s$/.test(f)).sort(byLine)) {
      await check(`README.md:${/\d+/.exec(file)[0]} runs as pasted`, () => {
        const args = file.endsWith('.ts') ? [tsx, file] : [file];
        sh(snippetDir, process.execPath, args, gpuEnvironment());
      });
    }
    await inChromium(consumer);
  } finally {
    if (process.argv.includes('--keep')) {
      console.log(`package: kept ${dir}`);
    } else {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  }
  finish(started);
}

main().catch(e => {
  console.error(e);
  const json = option('json');
  if (json) fs.writeFileSync(json, JSON.stringify({passed: counts.passed, failed: counts.failed + 1}));
  process.exit(1);
});
