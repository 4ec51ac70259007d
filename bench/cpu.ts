/** `npm run bench`, cpu section: the fused JS kernels vs the built-in layer. */
import * as tf from '@tensorflow/tfjs';

import {benchBackend} from './common';

async function main() {
  await tf.setBackend('cpu');
  await benchBackend('cpu backend (Node, fused JS kernels)');
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
