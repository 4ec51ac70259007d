/**
 * `npm run bench wasm`: the wasm backend (Node: SIMD on, threads off).
 * 1. Our WebAssembly SIMD kernels vs the built-in layerNormalization layer
 *    vs the composite of TF.js ops, in one run.
 * 2. The SIMD kernels vs the JS loops over the same heap (their fallback).
 */
import '@tensorflow/tfjs-backend-wasm';
import '../src/entries/wasm';

import * as tf from '@tensorflow/tfjs';

import {layerNorm} from '../src';
import {setWasmKernelImplementation, WasmKernelImplementation} from '../src/backends/wasm/simd_kernels';
import {BENCH_SHAPES, benchBackend, measure, Timing} from './common';
import {progress} from './results';

const IMPLEMENTATIONS: WasmKernelImplementation[] = ['js', 'simd'];

/** Forward and forward+backward timings of the op per implementation. */
async function compareImplementations(shapes: number[][]): Promise<string> {
  const lines = [
    '### wasm backend: WebAssembly SIMD kernels vs JS loops over the heap',
    '',
    '| shape | pass | JS loops ms | SIMD ms | SIMD speed-up |',
    '|---|---|---:|---:|---:|',
  ];
  for (const shape of shapes) {
    const channels = shape[shape.length - 1];
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', 1);
    const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
    const gamma = tf.randomNormal([channels], 1, 0.1, 'float32', 3);
    const beta = tf.randomNormal([channels], 0, 0.1, 'float32', 4);
    const forward = () => [layerNorm(x, gamma, beta)];
    const forwardBackward = () => {
      const {value, grads} = tf.engine().gradients(
          () => layerNorm(x, gamma, beta), [x, gamma, beta], dy);
      return [value, ...grads];
    };
    const timings: Record<string, Timing[]> = {forward: [], 'fwd+bwd': []};
    for (const implementation of IMPLEMENTATIONS) {
      progress(`wasm [${shape}] ${implementation} kernels, forward and fwd+bwd`);
      setWasmKernelImplementation(implementation);
      timings.forward.push(await measure(forward, {}));
      timings['fwd+bwd'].push(await measure(forwardBackward, {}));
    }
    setWasmKernelImplementation('simd');
    for (const [pass, [js, simd]] of Object.entries(timings)) {
      lines.push(`| [${shape}] | ${pass} | ${js.medianMs.toFixed(3)} | ${
          simd.medianMs.toFixed(3)} | ${(js.medianMs / simd.medianMs).toFixed(1)}x |`);
    }
    tf.dispose([x, dy, gamma, beta]);
  }
  return lines.join('\n');
}

async function main() {
  if (!await tf.setBackend('wasm')) {
    throw new Error('the wasm backend did not start');
  }
  await benchBackend('wasm backend (Node, SIMD on, threads off)', {composite: true});
  console.log('\n' + await compareImplementations(BENCH_SHAPES));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
