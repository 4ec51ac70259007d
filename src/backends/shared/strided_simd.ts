/**
 * The WebAssembly SIMD kernels for groups that are not contiguous
 * (layer_norm_strided_kernels.wat), instantiated on a given memory, and the
 * plan that maps a layout onto them.
 */
import {columnOffsets, GroupLayout, groupOffsets} from '../../layout';
import {STRIDED_KERNELS_SHARED_MEMORY_WASM_BASE64, STRIDED_KERNELS_WASM_BASE64} from './layer_norm_strided_kernels_wasm';
import {SimdModule} from './simd_module';

/** The exports of layer_norm_strided_kernels.wat; every address is a byte address in its memory. */
export interface StridedSimdKernels {
  forwardRuns(
      x: number, gamma: number, beta: number, y: number, mean: number, invStd: number,
      groupCount: number, dims: number, dimCount: number, runCount: number, runLength: number,
      scratch: number, epsilon: number): void;
  backwardRuns(
      dy: number, x: number, invStd: number, gamma: number, dMean: number, dInvStd: number,
      dx: number, dGamma: number, dBeta: number, dGammaSum: number, dBetaSum: number,
      groupCount: number, dims: number, dimCount: number, runCount: number, runLength: number,
      scratch: number): void;
  forwardLanes(
      x: number, gamma: number, beta: number, y: number, mean: number, invStd: number,
      blockCount: number, blocks: number, lanes: number, chunk: number, columns: number,
      groupLength: number, scratch: number, epsilon: number): void;
  backwardLanes(
      dy: number, x: number, invStd: number, gamma: number, dMean: number, dInvStd: number,
      dx: number, dGamma: number, dBeta: number, dGammaSum: number, dBetaSum: number,
      blockCount: number, blocks: number, lanes: number, chunk: number, columns: number,
      groupLength: number, scratch: number): void;
}

/**
 * How the kernels walk a layout, with the i32 tables they read.
 * 'lanes' (the innermost axis is kept): `width` adjacent groups form a block,
 * run `chunk` groups at a time; tables: each block's start, each column's
 * offset from its group's start (bytes).
 * 'runs' (the innermost axis is normalized): x is walked in memory order, a
 * run of `width` elements at a time; table: per axis run but the innermost,
 * outermost first, its size, its byte weights into the per-group scratch
 * (32 bytes a group) and into gamma, and a counter (0).
 */
export interface StridedPlan {
  family: 'lanes'|'runs';
  tables: Int32Array[];
  width: number;
  /** lanes: blocks; runs: runs. */
  count: number;
  chunk: number;
  scratchBytes: number;
}

const FLOAT32_BYTES = 4;
/** Scratch bytes per group: a runs call holds all groups, a lanes call a chunk. */
const RUNS_SCRATCH_BYTES = 32;
const LANES_SCRATCH_BYTES = 40;
/** Bytes of x in one lanes chunk: its second pass reads them from cache. */
const LANES_CHUNK_BYTES = 1 << 19;
/** Runs' scratch may take a quarter of x's bytes, or this much. */
const RUNS_SCRATCH_LIMIT = 1 << 20;

/** The plan for a layout the strided kernels take, or null. */
export function stridedPlan(layout: GroupLayout): StridedPlan|null {
  const {dims, groupCount, groupLength} = layout;
  if (layout.contiguous || !layout.paramsPerColumn || groupCount * groupLength === 0) {
    return null;
  }
  const inner = dims[dims.length - 1];
  const outer = dims.slice(0, -1);
  if (inner.normalized) {
    const table = new Int32Array(4 * outer.length);
    let groupWeight = RUNS_SCRATCH_BYTES;
    for (let d = outer.length - 1; d >= 0; d--) {
      const {size, normalized, paramStride} = outer[d];
      table.set([size, normalized ? 0 : groupWeight, paramStride * FLOAT32_BYTES, 0], 4 * d);
      if (!normalized) {
        groupWeight *= size;
      }
    }
    const scratchBytes = RUNS_SCRATCH_BYTES * groupCount;
    if (scratchBytes > Math.max(groupCount * groupLength, RUNS_SCRATCH_LIMIT)) {
      return null;
    }
    return {
      family: 'runs',
      tables: [table],
      width: inner.size,
      count: groupCount * groupLength / inner.size,
      chunk: 0,
      scratchBytes,
    };
  }
  if (inner.size < 4) {
    // Fewer than four groups side by side: no f32x4 to fill, the JS loops are as fast.
    return null;
  }
  const bytes = (offsets: Int32Array) => offsets.map(o => o * FLOAT32_BYTES);
  const blocks =
      bytes(groupOffsets({...layout, dims: outer, groupCount: groupCount / inner.size}).x);
  const lanes = inner.size;
  const chunk =
      Math.max(4, Math.min(lanes, LANES_CHUNK_BYTES / (FLOAT32_BYTES * groupLength)) & ~3);
  return {
    family: 'lanes',
    tables: [blocks, bytes(columnOffsets(layout).x)],
    width: lanes,
    count: blocks.length,
    chunk,
    scratchBytes: LANES_SCRATCH_BYTES * chunk,
  };
}

/** Bytes of memory a plan takes (see writePlan). */
export function planBytes(plan: StridedPlan): number {
  return plan.scratchBytes + plan.tables.reduce((sum, t) => sum + t.byteLength, 0);
}

/** Where a plan's scratch space and tables sit in memory. */
export interface PlanMemory {
  scratch: number;
  tables: number[];
}

/** Copies the plan's tables to `at` in `buffer` (planBytes long, 8-byte aligned). */
export function writePlan(plan: StridedPlan, buffer: ArrayBufferLike, at: number): PlanMemory {
  let next = at + plan.scratchBytes;
  const tables = plan.tables.map(t => {
    new Int32Array(buffer, next, t.length).set(t);
    next += t.byteLength;
    return next - t.byteLength;
  });
  return {scratch: at, tables};
}

/** Addresses of one forward call. */
export interface ForwardAddresses {
  x: number;
  gamma: number;
  beta: number;
  y: number;
  mean: number;
  invStd: number;
}

export function forwardStrided(
    kernels: StridedSimdKernels, plan: StridedPlan, m: PlanMemory, groupCount: number,
    a: ForwardAddresses, epsilon: number): void {
  const {tables, width, count} = plan;
  if (plan.family === 'runs') {
    kernels.forwardRuns(
        a.x, a.gamma, a.beta, a.y, a.mean, a.invStd, groupCount, m.tables[0],
        tables[0].length / 4, count, width, m.scratch, epsilon);
  } else {
    kernels.forwardLanes(
        a.x, a.gamma, a.beta, a.y, a.mean, a.invStd, count, m.tables[0], width, plan.chunk,
        m.tables[1], tables[1].length, m.scratch, epsilon);
  }
}

/** Addresses of one backward call; dGammaSum and dBetaSum: float64 scratch of groupLength. */
export interface BackwardAddresses {
  dy: number;
  x: number;
  invStd: number;
  gamma: number;
  dMean: number;
  dInvStd: number;
  dx: number;
  dGamma: number;
  dBeta: number;
  dGammaSum: number;
  dBetaSum: number;
}

/** The kernels' TINY_INV_STD: below it x - mean and dx's products may overflow float32. */
export const TINY_INV_STD = 2 ** -100;

/**
 * Whether the strided backward may take these groups: it runs in float32 (the
 * contiguous kernel takes such groups in float64 itself), so a call with a
 * group below TINY_INV_STD takes the JS loops, which sum in float64.
 */
export function stridedBackwardTakes(invStd: ArrayLike<number>): boolean {
  for (let i = 0; i < invStd.length; i++) {
    if (invStd[i] < TINY_INV_STD) return false;
  }
  return true;
}

export function backwardStrided(
    kernels: StridedSimdKernels, plan: StridedPlan, m: PlanMemory, groupCount: number,
    a: BackwardAddresses): void {
  const {tables, width, count} = plan;
  const args = [
    a.dy, a.x, a.invStd, a.gamma, a.dMean, a.dInvStd, a.dx, a.dGamma, a.dBeta, a.dGammaSum,
    a.dBetaSum,
  ] as const;
  if (plan.family === 'runs') {
    kernels.backwardRuns(
        ...args, groupCount, m.tables[0], tables[0].length / 4, count, width, m.scratch);
  } else {
    kernels.backwardLanes(
        ...args, count, m.tables[0], width, plan.chunk, m.tables[1], tables[1].length, m.scratch);
  }
}

/** The strided kernels (layer_norm_strided_kernels.wat). */
export const STRIDED_KERNELS = new SimdModule<StridedSimdKernels>(
    STRIDED_KERNELS_WASM_BASE64, STRIDED_KERNELS_SHARED_MEMORY_WASM_BASE64);
