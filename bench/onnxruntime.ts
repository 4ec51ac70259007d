/**
 * `npm run bench onnxruntime-node` / `onnxruntime-web-1` / `onnxruntime-web-2`:
 * ONNX Runtime's LayerNormalization (opset 17, bench/onnx_model.ts) forward
 * at the bench shapes, as the peer figures beside ours.
 *
 *   node dist/bench/onnxruntime.js node          onnxruntime-node, native CPU, 1 thread
 *   node dist/bench/onnxruntime.js web --threads=N   onnxruntime-web, WebAssembly (SIMD), N threads
 *
 * A timed call is one `session.run` from Float32Array inputs to the output
 * tensor (what a user's call costs, input and output copies included). Each
 * shape's output is first checked against the float64 reference.
 */
import type * as ortNode from 'onnxruntime-node';
import type * as ortWeb from 'onnxruntime-web';

import {normalData, refForward} from '../test/conformance/reference';

import {layerNormModel, ONNX_NAMES} from './onnx_model';
import {BENCH_SHAPES, elementsOf, FORWARD_BYTES_PER_ELEMENT, gbPerSecond, medianMs, progress, recordRows, ResultRow} from './results';

type Ort = typeof ortNode|typeof ortWeb;
type Session = ortNode.InferenceSession|ortWeb.InferenceSession;

const EPSILON = 1e-5;
/** Rows of each shape checked against the float64 reference before timing. */
const CHECKED_ROWS = 16;
/** float32 vs float64: |got - want| <= CHECK_TOLERANCE * (1 + |want|). */
const CHECK_TOLERANCE = 1e-5;

interface Runtime {
  ort: Ort;
  /** Names the figures: the chart's and the tables' label. */
  contender: string;
  backend: string;
  options: ortNode.InferenceSession.SessionOptions;
}

function runtimeFromArgs(args: string[]): Runtime {
  const threadsArg = args.find(a => a.startsWith('--threads='));
  const threads = threadsArg ? Number(threadsArg.slice('--threads='.length)) : 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`bench onnxruntime: --threads must be a positive integer; got ${threadsArg}`);
  }
  const plural = threads === 1 ? 'thread' : 'threads';
  // Each process loads only the runtime it measures.
  // tslint:disable:no-require-imports
  if (args[0] === 'node') {
    const ort = require('onnxruntime-node') as typeof ortNode;
    return {
      ort, backend: 'onnxruntime-node',
      contender: `onnxruntime-node ${ort.env.versions.node} (native, ${threads} ${plural})`,
      options: {intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential'},
    };
  }
  if (args[0] === 'web') {
    const ort = require('onnxruntime-web') as typeof ortWeb;
    ort.env.wasm.numThreads = threads;
    return {
      ort, backend: 'onnxruntime-web',
      contender: `onnxruntime-web ${ort.env.versions.web} (wasm, ${threads} ${plural})`,
      options: {executionProviders: ['wasm']},
    };
  }
  // tslint:enable:no-require-imports
  throw new Error(`bench onnxruntime: first argument must be 'node' or 'web'; got ${args[0]}`);
}

function checkOutput(y: Float32Array, x: Float32Array, gamma: Float32Array, beta: Float32Array,
                     shape: number[], contender: string) {
  const channels = shape[shape.length - 1];
  const rows = Math.min(CHECKED_ROWS, elementsOf(shape) / channels);
  const want = refForward(x.subarray(0, rows * channels), [rows, channels], 1, gamma, beta, EPSILON).y;
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(y[i] - want[i]) <= CHECK_TOLERANCE * (1 + Math.abs(want[i])))) {
      throw new Error(`bench: ${contender} at [${shape}] gives ${y[i]} at ${i}; the float64 reference ${want[i]}`);
    }
  }
}

async function benchShape(runtime: Runtime, shape: number[]): Promise<ResultRow> {
  const {ort, contender} = runtime;
  const channels = shape[shape.length - 1];
  const x = normalData(elementsOf(shape), 1, 2, 0.5);
  const gamma = normalData(channels, 3, 0.1, 1);
  const beta = normalData(channels, 4, 0.1, 0);
  const session: Session = await ort.InferenceSession.create(
      layerNormModel({shape, axis: -1, epsilon: EPSILON}), runtime.options);
  // Tensors of the runtime's own class: the two packages' Tensor types differ.
  const Tensor = ort.Tensor as typeof ortNode.Tensor;
  const feeds = {
    [ONNX_NAMES.x]: new Tensor('float32', x, shape),
    [ONNX_NAMES.scale]: new Tensor('float32', gamma, [channels]),
    [ONNX_NAMES.bias]: new Tensor('float32', beta, [channels]),
  };
  const run = () => (session as ortNode.InferenceSession).run(feeds);
  try {
    checkOutput((await run())[ONNX_NAMES.y].data as Float32Array, x, gamma, beta, shape, contender);
    progress(`${contender} [${shape}] forward`);
    const ms = await medianMs(run);
    return {backend: runtime.backend, contender, shape, pass: 'forward', ms,
            bytesPerElement: FORWARD_BYTES_PER_ELEMENT};
  } finally {
    await session.release();
  }
}

async function main() {
  const runtime = runtimeFromArgs(process.argv.slice(2));
  const rows: ResultRow[] = [];
  for (const shape of BENCH_SHAPES) rows.push(await benchShape(runtime, shape));
  console.log([
    `### ${runtime.contender}: LayerNormalization (opset 17), forward`,
    '',
    '| shape | ms | GB/s |',
    '|---|---:|---:|',
    ...rows.map(r => `| [${r.shape}] | ${r.ms.toFixed(3)} | ${
        gbPerSecond(r.shape, r.bytesPerElement, r.ms).toFixed(2)} |`),
  ].join('\n'));
  recordRows(rows);
}

// onnxruntime-web's thread pool keeps the process alive: exit explicitly.
main().then(() => process.exit(0), e => {
  console.error(e);
  process.exit(1);
});
