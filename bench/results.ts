/**
 * What every bench section shares without TF.js: the shapes, the byte
 * accounting, a timing loop, progress lines (stderr) and the result records
 * that scripts/bench.js turns into docs/bench.md and docs/bench.svg.
 */
/** True in Node; false in the page of the webgl section. */
const IN_NODE = typeof process !== 'undefined' && process.versions?.node != null;

function parseShapes(list: string): number[][] {
  const shapes = list.split(',').map(s => s.split('x').map(Number));
  if (!shapes.every(s => s.every(d => Number.isInteger(d) && d > 0))) {
    throw new Error(`BENCH_SHAPES must look like 8x128x768,32x64; got '${list}'`);
  }
  return shapes;
}

/** The shapes; BENCH_SHAPES=8x128x768,32x64 in the environment picks others (Node only). */
export const BENCH_SHAPES: number[][] = (IN_NODE && process.env.BENCH_SHAPES) ?
    parseShapes(process.env.BENCH_SHAPES) : [[32, 64], [64, 1024], [8, 128, 768], [4096, 1024]];
/** Effective bytes per element: read x + write y forward; x, y, dy, dx + re-read x backward. */
export const FORWARD_BYTES_PER_ELEMENT = 8;
export const FORWARD_BACKWARD_BYTES_PER_ELEMENT = 20;

export type Pass = 'forward'|'fwd+bwd';

/** One measured figure. */
export interface ResultRow {
  /** Where it ran: a TF.js backend name, or the peer's runtime ('onnxruntime-node', 'memory'). */
  backend: string;
  /** 'ours', 'built-in', 'composite', or a peer's name. */
  contender: string;
  shape: number[];
  pass: Pass;
  ms: number;
  /** Bytes per element behind the GB/s figure. */
  bytesPerElement: number;
}

export function elementsOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function gbPerSecond(shape: number[], bytesPerElement: number, ms: number): number {
  return elementsOf(shape) * bytesPerElement / (ms * 1e6);
}

/**
 * Appends rows to the JSON-lines file named by BENCH_RESULTS (set by
 * scripts/bench.js); a section run on its own only prints its tables.
 */
export function recordRows(rows: ResultRow[]) {
  const file = IN_NODE ? process.env.BENCH_RESULTS : undefined;
  if (file && rows.length) {
    // Required here so the browser bundle of the webgl page never loads it.
    // tslint:disable-next-line:no-require-imports
    const fs = require('fs') as typeof import('fs');
    fs.appendFileSync(file, rows.map(r => JSON.stringify(r) + '\n').join(''));
  }
}

/** A progress line on stderr (stdout carries the tables). */
export function progress(message: string) {
  if (IN_NODE) {
    process.stderr.write(`bench: ${message}\n`);
  } else {
    console.info(`bench: ${message}`);
  }
}

/** At least this many timed calls per median, however slow the contender. */
export const MIN_RUNS = 3;
export const MAX_RUNS = 200;

/**
 * Median wall time of `run` after one warm-up call (two when the first is
 * quick), timing calls until `budgetMs` has passed or MAX_RUNS were made.
 */
export async function medianMs(run: () => unknown, budgetMs = 1500): Promise<number> {
  const first = performance.now();
  await run();
  if (performance.now() - first < budgetMs / 4) await run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < MIN_RUNS ||
         (performance.now() - start < budgetMs && times.length < MAX_RUNS)) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export interface Timing {
  medianMs: number;
  runs: number;
  peakBytes: number;
}

/** One shape's figures from bench/common.ts's `benchShape`. */
export interface ShapeResult {
  shape: number[];
  forward: {ours: Timing, builtin: Timing, composite?: Timing};
  forwardBackward: {ours: Timing, builtin: Timing, composite?: Timing};
}

/** The records of one TF.js backend's `benchBackend` results. */
export function shapeResultRows(backend: string, results: ShapeResult[]): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const r of results) {
    for (const [pass, timings, bytesPerElement] of [
      ['forward', r.forward, FORWARD_BYTES_PER_ELEMENT],
      ['fwd+bwd', r.forwardBackward, FORWARD_BACKWARD_BYTES_PER_ELEMENT],
    ] as const) {
      for (const [contender, t] of [
        ['ours', timings.ours], ['built-in', timings.builtin], ['composite', timings.composite],
      ] as const) {
        if (t) rows.push({backend, contender, shape: r.shape, pass, ms: t.medianMs, bytesPerElement});
      }
    }
  }
  return rows;
}
