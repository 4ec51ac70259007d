/**
 * `npm run bench tensorflow`: tfjs-node's `tensorflow` backend.
 * 1. Our kernels (default route) vs the built-in layerNormalization layer vs
 *    the composite of TF.js ops, in one run.
 * 2. Ours vs the built-in at [8,128,768] with the calls interleaved (one of
 *    each per round, order alternating), robust to load that drifts during
 *    the run on a shared machine: median and minimum per contender.
 * 3. The kernels' routes side by side, trailing axis and NCHW axis 1.
 */
process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL ?? '2';

import * as tf from '@tensorflow/tfjs';

import {layerNorm, setTensorflowKernelRoute, TensorflowKernelRoute} from '../src';
import {BENCH_SHAPES, benchBackend} from './common';

const ROUTES: TensorflowKernelRoute[] = ['checked', 'nativeOps', 'fusedBatchNorm'];
const ROUTE_CASES: Array<{shape: number[], axis: number}> = [
  ...BENCH_SHAPES.map(shape => ({shape, axis: -1})),
  {shape: [8, 64, 32, 32], axis: 1},
];

function interleaved(contenders: Array<() => tf.Tensor[]>, rounds: number): number[][] {
  const times: number[][] = contenders.map(() => []);
  for (const run of contenders) tf.dispose(run());  // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? contenders.map((_, i) => i) : contenders.map((_, i) => contenders.length - 1 - i);
    for (const i of order) {
      const t0 = performance.now();
      tf.dispose(contenders[i]());
      times[i].push(performance.now() - t0);
    }
  }
  return times.map(t => t.sort((a, b) => a - b));
}

function compareInterleaved(shape: number[]): string {
  const lines = [
    `### tensorflow backend: ours vs built-in at [${shape}], calls interleaved`,
    '',
    '| pass | rounds | ours median ms | built-in median ms | ratio of medians | ours min ms | built-in min ms | ratio of minima |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const channels = shape[shape.length - 1];
  const x = tf.randomNormal(shape, 0.5, 2, 'float32', 1);
  const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
  const gamma = tf.randomNormal([channels], 1, 0.1, 'float32', 3);
  const beta = tf.randomNormal([channels], 0, 0.1, 'float32', 4);
  const builtin = tf.layers.layerNormalization({axis: -1, epsilon: 1e-5});
  builtin.build(shape);
  const builtinWeights = builtin.trainableWeights.map(v => v.read() as tf.Variable);
  const ours = () => layerNorm(x, gamma, beta);
  const theirs = () => builtin.apply(x) as tf.Tensor;
  const fwdBwd = (f: () => tf.Tensor, wrt: tf.Tensor[]) => () => {
    const {value, grads} = tf.engine().gradients(f, wrt, dy);
    return [value, ...grads];
  };
  const passes: Array<[string, number, Array<() => tf.Tensor[]>]> = [
    ['forward', 60, [() => [ours()], () => [theirs()]]],
    ['fwd+bwd', 12, [fwdBwd(ours, [x, gamma, beta]), fwdBwd(theirs, [x, ...builtinWeights])]],
  ];
  for (const [pass, rounds, contenders] of passes) {
    const [a, b] = interleaved(contenders, rounds);
    const median = (t: number[]) => t[Math.floor(t.length / 2)];
    lines.push(`| ${pass} | ${rounds} | ${median(a).toFixed(3)} | ${median(b).toFixed(3)} | ${
        (median(b) / median(a)).toFixed(1)}x | ${a[0].toFixed(3)} | ${b[0].toFixed(3)} | ${(b[0] / a[0]).toFixed(1)}x |`);
  }
  tf.dispose([x, dy, gamma, beta]);
  builtin.weights.forEach(v => v.dispose());
  return lines.join('\n');
}

/** Each route's forward and forward+backward, calls interleaved across routes: median (minimum) ms. */
function compareRoutes(): string {
  const lines = [
    '### tensorflow backend: kernel routes, calls interleaved (median ms, minimum in brackets)',
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
    const withRoute = (route: TensorflowKernelRoute, run: () => tf.Tensor[]) => () => {
      setTensorflowKernelRoute(route);
      return run();
    };
    const forward = () => [layerNorm(x, gamma, beta, {axis})];
    const forwardBackward = () => {
      const {value, grads} = tf.engine().gradients(() => layerNorm(x, gamma, beta, {axis}), [x, gamma, beta], dy);
      return [value, ...grads];
    };
    for (const [pass, run, rounds] of [['forward', forward, 30], ['fwd+bwd', forwardBackward, 12]] as const) {
      const times = interleaved(ROUTES.map(r => withRoute(r, run)), rounds);
      lines.push(`| [${shape}] | ${axis} | ${pass} | ${
          times.map(t => `${t[Math.floor(t.length / 2)].toFixed(3)} (${t[0].toFixed(3)})`).join(' | ')} |`);
    }
    setTensorflowKernelRoute('checked');
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
  console.log('\n' + compareInterleaved([8, 128, 768]));
  console.log('\n' + compareRoutes());
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
