/**
 * `npm run bench tensorflow`: tfjs-node's `tensorflow` backend.
 * 1. Our kernels (default route) vs the built-in layerNormalization layer vs
 *    the composite of TF.js ops, in one run.
 * 2. The kernels' routes side by side, trailing axis and NCHW axis 1.
 */
process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL ?? '2';

import * as tf from '@tensorflow/tfjs';

import {layerNorm, setTensorflowKernelRoute, TensorflowKernelRoute} from '../src';
import {BENCH_SHAPES, benchBackend, measure, Timing} from './common';

const ROUTES: TensorflowKernelRoute[] = ['checked', 'nativeOps', 'fusedBatchNorm'];
const ROUTE_CASES: Array<{shape: number[], axis: number}> = [
  ...BENCH_SHAPES.map(shape => ({shape, axis: -1})),
  {shape: [8, 64, 32, 32], axis: 1},
];

async function compareRoutes(): Promise<string> {
  const lines = [
    '### tensorflow backend: kernel routes (ms, median)',
    '',
    `| shape | axis | pass | ${ROUTES.join(' | ')} |`,
    `|---|---:|---|${ROUTES.map(() => '---:').join('|')}|`,
  ];
  for (const {shape, axis} of ROUTE_CASES) {
    const channels = shape[axis < 0 ? shape.length + axis : axis];
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', 1);
    const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
    const gamma = tf.randomNormal([channels], 1, 0.1, 'float32', 3);
    const beta = tf.randomNormal([channels], 0, 0.1, 'float32', 4);
    const forward = () => [layerNorm(x, gamma, beta, {axis})];
    const forwardBackward = () => {
      const {value, grads} = tf.engine().gradients(() => layerNorm(x, gamma, beta, {axis}), [x, gamma, beta], dy);
      return [value, ...grads];
    };
    const timings: Record<string, Timing[]> = {forward: [], 'fwd+bwd': []};
    for (const route of ROUTES) {
      setTensorflowKernelRoute(route);
      timings.forward.push(await measure(forward, {}));
      timings['fwd+bwd'].push(await measure(forwardBackward, {}));
    }
    setTensorflowKernelRoute('checked');
    for (const [pass, list] of Object.entries(timings)) {
      lines.push(`| [${shape}] | ${axis} | ${pass} | ${list.map(t => t.medianMs.toFixed(3)).join(' | ')} |`);
    }
    tf.dispose([x, dy, gamma, beta]);
  }
  return lines.join('\n');
}

async function main() {
  let tfnode: {version: Record<string, string>};
  try {
    tfnode = require('@tensorflow/tfjs-node');
  } catch (e) {
    throw new Error(`@tensorflow/tfjs-node does not load (run \`node scripts/setup_tfjs_node.js\`): ${
        (e as Error).message}`);
  }
  if (!await tf.setBackend('tensorflow')) {
    throw new Error('the tensorflow backend did not start');
  }
  const binding = (tf.backend() as unknown as {binding: {TF_Version: string}}).binding;
  await benchBackend(
      `tensorflow backend (tfjs-node ${tfnode.version['tfjs-node']}, TensorFlow C API ${binding.TF_Version}, ` +
          `Node ${process.version})`,
      {composite: true});
  console.log('\n' + await compareRoutes());
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
