/**
 * Every wasm test file runs on TF.js's wasm backend with this package's
 * wasm kernels registered. A backend that does not start fails the file.
 */
import '@tensorflow/tfjs-backend-wasm';
import '../../src/entries/wasm';

import * as tf from '@tensorflow/tfjs';

beforeAll(async () => {
  const started = await tf.setBackend('wasm');
  if (!started || tf.getBackend() !== 'wasm') {
    throw new Error(`the wasm backend did not start (active backend: ${tf.getBackend()})`);
  }
});
