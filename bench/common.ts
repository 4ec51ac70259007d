/**
 * Shared machinery of `npm run bench`: the shapes, the timing loop and the
 * report. Each backend's section (bench/<backend>.ts) sets its backend and
 * calls `benchBackend`; timings are medians of wall time per call, each
 * call followed by a wait until its outputs are computed (`defaultSync`, or
 * the section's own cheaper wait on GPU backends).
 */
import * as tf from '@tensorflow/tfjs';

import {FORCE_COMPOSITE_FLAG, KernelImplementation, layerNorm} from '../src';

import {BENCH_SHAPES, FORWARD_BACKWARD_BYTES_PER_ELEMENT, FORWARD_BYTES_PER_ELEMENT, gbPerSecond, MAX_RUNS,
        MIN_RUNS, progress, recordRows, shapeResultRows} from './results';
import type {ShapeResult, Timing} from './results';

export {BENCH_SHAPES, FORWARD_BACKWARD_BYTES_PER_ELEMENT, FORWARD_BYTES_PER_ELEMENT};
export type {ShapeResult, Timing};

export interface BenchOptions {
  /** Waits for the outputs of one call (default: `defaultSync`). */
  sync?: (outputs: tf.Tensor[]) => Promise<void>;
  /** Time budget per measurement, ms (default 1500). */
  budgetMs?: number;
  /** Shapes to run (default BENCH_SHAPES). */
  shapes?: number[][];
  /**
   * Also time the op with the composite of TF.js ops forced (what a backend
   * without our kernels runs), reported in two more columns.
   */
  composite?: boolean;
}

/** Runs `run` with the composite forced (FORCE_COMPOSITE_FLAG) around each call. */
function forcingComposite(run: () => tf.Tensor[]): () => tf.Tensor[] {
  return () => {
    tf.env().set(FORCE_COMPOSITE_FLAG, true);
    try {
      return run();
    } finally {
      tf.env().set(FORCE_COMPOSITE_FLAG, false);
    }
  };
}

/**
 * Backends whose kernels finish before `runKernel` returns: their outputs
 * exist when a call returns, and reading them back would only add a copy of
 * every output to both contenders' times.
 */
const SYNCHRONOUS_BACKENDS = ['cpu', 'wasm', 'tensorflow'];

/** The default wait: nothing on synchronous backends, else read every output. */
async function defaultSync(outputs: tf.Tensor[]) {
  if (!SYNCHRONOUS_BACKENDS.includes(tf.getBackend())) {
    await Promise.all(outputs.map(o => o.data()));
  }
}

/**
 * Median wall time of `run` (which returns the tensors it made). The first
 * call is profiled for its peak memory and doubles as the warm-up (JIT,
 * shader compilation); a second warm-up runs only for contenders fast enough
 * that it costs little (the built-in takes ~20 s a call at [4096,1024] on
 * cpu, where extra calls would dominate the run time).
 */
export async function measure(
    run: () => tf.Tensor[], opts: BenchOptions): Promise<Timing> {
  const sync = opts.sync ?? defaultSync;
  const budget = opts.budgetMs ?? 1500;
  const before = tf.memory().numBytes;
  const firstStart = performance.now();
  const profile = await tf.profile(() => run());
  await sync(profile.result as tf.Tensor[]);
  const firstMs = performance.now() - firstStart;
  const peakBytes = profile.peakBytes - before;
  tf.dispose(profile.result as tf.Tensor[]);
  if (firstMs < budget / 4) {
    const outs = run();
    await sync(outs);
    tf.dispose(outs);
  }
  const times: number[] = [];
  const start = performance.now();
  while (times.length < MIN_RUNS ||
         (performance.now() - start < budget && times.length < MAX_RUNS)) {
    const t0 = performance.now();
    const outs = run();
    await sync(outs);
    times.push(performance.now() - t0);
    tf.dispose(outs);
  }
  times.sort((a, b) => a - b);
  return {medianMs: times[Math.floor(times.length / 2)], runs: times.length, peakBytes};
}

export async function benchShape(shape: number[], opts: BenchOptions): Promise<ShapeResult> {
  const channels = shape[shape.length - 1];
  const x = tf.variable(tf.randomNormal(shape, 0.5, 2, 'float32', 1), true, `x${shape}`);
  const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
  const gamma = tf.variable(tf.randomNormal([channels], 1, 0.1, 'float32', 3));
  const beta = tf.variable(tf.randomNormal([channels], 0, 0.1, 'float32', 4));
  const builtin = tf.layers.layerNormalization({axis: -1, epsilon: 1e-5});
  builtin.build(shape);
  const builtinWeights = builtin.trainableWeights.map(v => v.read() as tf.Variable);
  const ours = () => layerNorm(x, gamma, beta, {axis: -1, epsilon: 1e-5});
  const theirs = () => builtin.apply(x) as tf.Tensor;
  const fwd = (f: () => tf.Tensor) => () => [f()];
  // Forward + backward with a given upstream gradient dy (no loss ops, so
  // only the layer itself is measured): dx and the two parameter gradients.
  const fwdBwd = (f: () => tf.Tensor, wrt: tf.Tensor[]) => () => {
    const {value, grads} = tf.engine().gradients(f, wrt, dy);
    return [value, ...grads];
  };
  const timed = (what: string, run: () => tf.Tensor[]) => {
    progress(`${tf.getBackend()} [${shape}] ${what}`);
    return measure(run, opts);
  };
  const result: ShapeResult = {
    shape,
    forward: {
      ours: await timed('forward, ours', fwd(ours)),
      builtin: await timed('forward, built-in', fwd(theirs)),
    },
    forwardBackward: {
      ours: await timed('fwd+bwd, ours', fwdBwd(ours, [x, gamma, beta])),
      builtin: await timed('fwd+bwd, built-in', fwdBwd(theirs, [x, ...builtinWeights])),
    },
  };
  if (opts.composite) {
    result.forward.composite = await timed('forward, composite', forcingComposite(fwd(ours)));
    result.forwardBackward.composite =
        await timed('fwd+bwd, composite', forcingComposite(fwdBwd(ours, [x, gamma, beta])));
  }
  tf.dispose([x, dy, gamma, beta]);
  builtin.weights.forEach(v => v.dispose());
  return result;
}

export async function benchBackend(label: string, opts: BenchOptions = {}): Promise<ShapeResult[]> {
  const results: ShapeResult[] = [];
  for (const shape of opts.shapes ?? BENCH_SHAPES) {
    results.push(await benchShape(shape, opts));
  }
  console.log(formatReport(label, results));
  recordRows(shapeResultRows(tf.getBackend(), results));
  return results;
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

export function formatReport(label: string, results: ShapeResult[]): string {
  const withComposite = results.some(r => r.forward.composite != null);
  const compositeHeads = withComposite ? ' composite ms | vs composite |' : '';
  const compositeRule = withComposite ? '---:|---:|' : '';
  const lines = [
    `### ${label}`,
    '',
    `| shape | pass | ours ms | built-in ms | speed-up |${compositeHeads} ours GB/s | peak MiB ours / built-in |`,
    `|---|---|---:|---:|---:|${compositeRule}---:|---:|`,
  ];
  for (const r of results) {
    for (const [pass, t, bpe] of [
      ['forward', r.forward, FORWARD_BYTES_PER_ELEMENT],
      ['fwd+bwd', r.forwardBackward, FORWARD_BACKWARD_BYTES_PER_ELEMENT],
    ] as const) {
      const composite = t.composite == null ? '' : ` ${t.composite.medianMs.toFixed(3)} | ${
          (t.composite.medianMs / t.ours.medianMs).toFixed(1)}x |`;
      lines.push(`| [${r.shape}] | ${pass} | ${t.ours.medianMs.toFixed(3)} | ${
          t.builtin.medianMs.toFixed(3)} | ${(t.builtin.medianMs / t.ours.medianMs).toFixed(1)}x |${
          composite} ${gbPerSecond(r.shape, bpe, t.ours.medianMs).toFixed(2)} | ${mib(t.ours.peakBytes)} / ${
          mib(t.builtin.peakBytes)} |`);
    }
  }
  return lines.join('\n');
}

/** Forward and forward+backward timings of the op, JS loops vs SIMD kernels. */
export async function compareImplementations(
    backend: string, choose: (choice: KernelImplementation) => void,
    shapes: number[][]): Promise<string> {
  const lines = [
    `### ${backend} backend: WebAssembly SIMD kernels vs JS loops`,
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
    for (const implementation of ['js', 'simd'] as KernelImplementation[]) {
      progress(`${backend} [${shape}] ${implementation} kernels, forward and fwd+bwd`);
      choose(implementation);
      timings.forward.push(await measure(forward, {}));
      timings['fwd+bwd'].push(await measure(forwardBackward, {}));
    }
    choose('simd');
    for (const [pass, [js, simd]] of Object.entries(timings)) {
      lines.push(`| [${shape}] | ${pass} | ${js.medianMs.toFixed(3)} | ${
          simd.medianMs.toFixed(3)} | ${(js.medianMs / simd.medianMs).toFixed(1)}x |`);
    }
    tf.dispose([x, dy, gamma, beta]);
  }
  return lines.join('\n');
}
