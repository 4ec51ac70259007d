/**
 * `npm run bench webgl`: the fused webgl kernels vs the built-in
 * tf.layers.layerNormalization on the same WebGL context, in headless
 * Chromium (WebGL 2 on SwiftShader here). This Node side bundles
 * bench/webgl_page.ts, serves the project on 127.0.0.1 with the browser
 * suite's server, and prints the table the page returns.
 *
 * `node --import tsx bench/webgl.ts --shapes=8x128x768`
 * reruns it for chosen shapes.
 */
import * as path from 'path';

import {BENCH_SHAPES, recordRows, shapeResultRows} from './results';
import type {WebglBenchPage} from './webgl_page';

// tslint:disable:no-require-imports
const esbuild = require('esbuild');
const {tfGlobalPlugin} = require('../scripts/esbuild_tf_global');
const {launchChromium, openPage} = require('../test/browser/chromium');
const {serveDirectory} = require('../test/browser/server');
// tslint:enable:no-require-imports

/** This file runs from bench/ (through tsx). */
const root = path.resolve(__dirname, '..');
const PAGE_BUNDLE = '.out/bench/webgl_page.js';
const TFJS = 'node_modules/@tensorflow/tfjs/dist/tf.min.js';

function shapesOption(): number[][]|undefined {
  const arg = process.argv.find(a => a.startsWith('--shapes='));
  return arg?.slice('--shapes='.length).split(',').map(s => s.split('x').map(Number));
}

async function main() {
  await esbuild.build({
    entryPoints: [path.join(root, 'bench/webgl_page.ts')],
    outfile: path.join(root, PAGE_BUNDLE), bundle: true, format: 'iife',
    target: 'es2019', plugins: [tfGlobalPlugin], logLevel: 'warning',
    external: ['fs'],  // bench/results.ts requires it only in Node
  });
  const server = await serveDirectory(root);
  const browser = await launchChromium();
  try {
    const page = await openPage(browser, server.origin, [TFJS, PAGE_BUNDLE], 'bench webgl');
    // The page's progress lines (bench/results.ts `progress`) go to stderr.
    page.on('console', (m: {type(): string, text(): string}) => {
      if (m.type() === 'info' && m.text().startsWith('bench: ')) process.stderr.write(`${m.text()}\n`);
    });
    const {report, results} = await page.evaluate(
        (shapes: number[][]|undefined) =>
            (globalThis as unknown as WebglBenchPage).runWebglBench(shapes),
        shapesOption() ?? BENCH_SHAPES);
    console.log(report);
    recordRows(shapeResultRows('webgl', results));
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
