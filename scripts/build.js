#!/usr/bin/env node
/**
 * Builds dist/ (what `npm pack` publishes; `prepack` runs this):
 *   dist/cjs/      CommonJS, one file per module (tsc)       -> require()
 *   dist/esm/      ES modules, one per entry point with shared chunks (esbuild)
 *   dist/types/    one declaration file per entry point, bundled from tsc's
 *                  declarations by rollup-plugin-dts: ENTRY.d.ts for
 *                  require (and moduleResolution node), ENTRY.d.mts for import
 *   dist/browser/  browser bundles tfjs-layernorm[-SUBPATH].{esm,umd,umd.min}.js:
 *                  the UMD ones expose `tfLayerNorm` (and `tfLayerNormWebgpu`, …),
 *                  with TF.js taken from the page's `tf` global
 * Entry points: src/index.ts and every src/entries/*.ts subpath.
 */
const {execFileSync} = require('child_process');
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');
const {tfGlobalPlugin} = require('./esbuild_tf_global');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
/** tsc's per-module declarations, the input of the bundled ones. */
const declarationsDir = path.join(root, '.out/build/declarations');

/** Subpath entry points: name -> source, and the UMD global each exposes. */
const ENTRIES = [
  {name: 'index', source: 'src/index.ts', global: 'tfLayerNorm'},
  ...fs.readdirSync(path.join(root, 'src/entries'))
      .filter(f => f.endsWith('.ts'))
      .map(f => {
        const name = f.replace(/\.ts$/, '');
        return {
          name,
          source: `src/entries/${f}`,
          global: 'tfLayerNorm' + name[0].toUpperCase() + name.slice(1),
        };
      }),
];

/** Packages the user supplies (peers); never bundled. */
const EXTERNAL = ['@tensorflow/*', 'fs', 'path'];

function tsc(args) {
  execFileSync(
      process.execPath, [require.resolve('typescript/bin/tsc'), ...args],
      {cwd: root, stdio: 'inherit'});
}

/** dist/types/ENTRY.d.ts and .d.mts: one self-contained file per entry point. */
async function bundleDeclarations() {
  const {rollup} = require('rollup');
  const {dts} = require('rollup-plugin-dts');
  for (const e of ENTRIES) {
    const input = path.join(declarationsDir, e.source.replace(/^src\//, '').replace(/\.ts$/, '.d.ts'));
    const bundle = await rollup({
      input, plugins: [dts()], external: id => id.startsWith('@tensorflow/'),
      onwarn: w => { throw new Error(`declarations of ${e.name}: ${w.message}`); },
    });
    for (const ext of ['d.ts', 'd.mts']) {
      await bundle.write({file: path.join(dist, 'types', `${e.name}.${ext}`), format: 'es'});
    }
    await bundle.close();
  }
}

async function main() {
  // The wasm kernels' binary (checked in) from its .wat, should that have changed.
  await require('./build_wasm_kernels').update();
  fs.rmSync(dist, {recursive: true, force: true});
  fs.rmSync(declarationsDir, {recursive: true, force: true});
  tsc(['-p', 'tsconfig.build.json', '--outDir', 'dist/cjs', '--declarationDir', declarationsDir]);
  fs.writeFileSync(path.join(dist, 'cjs/package.json'), '{"type": "commonjs"}\n');
  await bundleDeclarations();

  await esbuild.build({
    entryPoints: Object.fromEntries(ENTRIES.map(e => [e.name, e.source])),
    outdir: 'dist/esm', absWorkingDir: root, bundle: true, splitting: true,
    format: 'esm', platform: 'neutral', target: 'es2019', external: EXTERNAL,
    sourcemap: true, logLevel: 'warning',
  });
  fs.writeFileSync(path.join(dist, 'esm/package.json'), '{"type": "module"}\n');

  for (const e of ENTRIES) {
    const file = e.name === 'index' ? 'tfjs-layernorm' : `tfjs-layernorm-${e.name}`;
    const common = {
      entryPoints: [e.source], absWorkingDir: root, bundle: true,
      target: 'es2019', plugins: [tfGlobalPlugin], external: ['fs', 'path'],
      sourcemap: true, logLevel: 'warning',
    };
    await esbuild.build({...common, format: 'esm', outfile: `dist/browser/${file}.esm.js`});
    for (const minify of [false, true]) {
      await esbuild.build({
        ...common, format: 'iife', globalName: e.global, platform: 'browser', minify,
        outfile: `dist/browser/${file}.umd${minify ? '.min' : ''}.js`,
      });
    }
  }
  console.log(`built dist/ (entries: ${ENTRIES.map(e => e.name).join(', ')})`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
