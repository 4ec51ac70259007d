/**
 * `npm run bench wasm`: the wasm backend (Node: SIMD on, threads off).
 * 1. Our WebAssembly SIMD kernels vs the built-in layerNormalization layer
 *    vs the composite of TF.js ops, in one run.
 * 2. The SIMD kernels vs the JS loops over the same heap (their fallback).
 */
import '@tensorflow/tfjs-backend-wasm';
import '../src/entries/wasm';

import * as tf from '@tensorflow/tfjs';

import {setWasmKernelImplementation} from '../src/backends/wasm/simd_kernels';
import {BENCH_SHAPES, benchBackend, compareImplementations} from './common';

async function main() {
  if (!await tf.setBackend('wasm')) {
    throw new Error('the wasm backend did not start');
  }
  await benchBackend('wasm backend (Node, SIMD on, threads off)', {composite: true});
  console.log('\n' + await compareImplementations('wasm', setWasmKernelImplementation, BENCH_SHAPES));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
