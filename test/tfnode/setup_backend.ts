/**
 * Every tensorflow test file runs on tfjs-node's `tensorflow` backend. A
 * tfjs-node that does not load fails the file, naming the script that
 * installs it (`npm test` runs that script first).
 */
import * as tf from '@tensorflow/tfjs';

let loadError: unknown = null;
try {
  require('@tensorflow/tfjs-node');
} catch (e) {
  loadError = e;
}

beforeAll(async () => {
  if (loadError != null) {
    throw new Error(`@tensorflow/tfjs-node does not load (run \`node scripts/setup_tfjs_node.js\`): ${
        (loadError as Error).message}`);
  }
  const started = await tf.setBackend('tensorflow');
  if (!started || tf.getBackend() !== 'tensorflow') {
    throw new Error(`the tensorflow backend did not start (active backend: ${tf.getBackend()})`);
  }
});
