/**
 * `npm run bench wasm`: the wasm backend (Node: SIMD on, threads off).
 * 1. Our WebAssembly SIMD kernels vs the built-in layerNormalization layer
 *    vs the composite of TF.js ops, in one run.
 * 2. The SIMD kernels vs the JS loops over the same heap (their fallback).
 * 3. Non-trailing axes vs the trailing case, time per element, same size.
 */
import '@tensorflow/tfjs-backend-wasm';
import '../src/entries/wasm';

import * as tf from '@tensorflow/tfjs';

import {setWasmKernelImplementation} from '../src/backends/wasm/simd_kernels';
import {layerNorm} from '../src';
import {BENCH_SHAPES, benchBackend, compareImplementations, measure} from './common';
import {progress} from './results';

/** Layouts of 786432 elements: [name, shape, axes]; the first is the reference. */
const LAYOUTS: Array<[string, number[], number[]]> = [
  ['trailing axis', [8, 128, 768], [2]],
  ['NCHW, axis 1', [8, 768, 16, 8], [1]],
  ['axes [0, 2]', [768, 8, 128], [0, 2]],
  ['axes [0, 2]', [8, 128, 768], [0, 2]],
];

/** Each layout's forward and fwd+bwd time, and its ratio to the trailing case. */
async function compareLayouts(): Promise<string> {
  const lines = [
    '### wasm backend: non-trailing axes vs the trailing axis (SIMD kernels, 786432 elements)',
    '',
    '| layout | shape | axes | forward ms | vs trailing | fwd+bwd ms | vs trailing |',
    '|---|---|---|---:|---:|---:|---:|',
  ];
  let reference: number[] = [];
  for (const [name, shape, axis] of LAYOUTS) {
    progress(`wasm layouts: ${name} [${shape}]`);
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', 1);
    const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
    const paramShape = axis.map(a => shape[a]);
    const gamma = tf.randomNormal(paramShape, 1, 0.1, 'float32', 3);
    const beta = tf.randomNormal(paramShape, 0, 0.1, 'float32', 4);
    const forward = await measure(() => [layerNorm(x, gamma, beta, {axis})], {});
    const forwardBackward = await measure(() => {
      const {value, grads} = tf.engine().gradients(
          () => layerNorm(x, gamma, beta, {axis}), [x, gamma, beta], dy);
      return [value, ...grads];
    }, {});
    const ms = [forward.medianMs, forwardBackward.medianMs];
    if (reference.length === 0) reference = ms;
    lines.push(`| ${name} | [${shape}] | [${axis}] | ${ms[0].toFixed(3)} | ${
        (ms[0] / reference[0]).toFixed(2)}x | ${ms[1].toFixed(3)} | ${(ms[1] / reference[1]).toFixed(2)}x |`);
    tf.dispose([x, dy, gamma, beta]);
  }
  return lines.join('\n');
}

async function main() {
  if (!await tf.setBackend('wasm')) {
    throw new Error('the wasm backend did not start');
  }
  await benchBackend('wasm backend (Node, SIMD on, threads off)', {composite: true});
  console.log('\n' + await compareImplementations('wasm', setWasmKernelImplementation, BENCH_SHAPES));
  console.log('\n' + await compareLayouts());
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
