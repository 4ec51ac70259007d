/** `npm run bench`, cpu section: our kernels vs the built-in layer, and SIMD vs JS loops. */
import * as tf from '@tensorflow/tfjs';

import {setCpuKernelImplementation} from '../src';
import {BENCH_SHAPES, benchBackend, compareImplementations} from './common';

async function main() {
  await tf.setBackend('cpu');
  await benchBackend('cpu backend (Node, SIMD kernels on the cpu backend\'s own memory)');
  console.log('\n' + await compareImplementations('cpu', setCpuKernelImplementation, BENCH_SHAPES));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
