/**
 * The WebAssembly SIMD kernels for groups that are not contiguous
 * (layer_norm_strided_kernels.wat), instantiated on a given memory, and the
 * plan that maps a layout onto them.
 */
import {columnOffsets, GroupLayout, groupOffsets} from '../../layout';
import {STRIDED_KERNELS_SHARED_MEMORY_WASM_BASE64, STRIDED_KERNELS_WASM_BASE64} from './layer_norm_strided_kernels_wasm';

/** The exports of layer_norm_strided_kernels.wat; every address is a byte address in its memory. */
export interface StridedSimdKernels {
  forwardRuns(
      x: number, gamma: number, beta: number, y: number, mean: number, invStd: number,
      groupCount: number, groups: number, runs: number, runCount: number, runLength: number,
      epsilon: number): void;
  backwardRuns(
      dy: number, x: number, invStd: number, gamma: number, dMean: number, dInvStd: number,
      dx: number, dGamma: number, dBeta: number, dGammaSum: number, dBetaSum: number,
      groupCount: number, groups: number, runs: number, runCount: number, runLength: number): void;
  forwardLanes(
      x: number, gamma: number, beta: number, y: number, mean: number, invStd: number,
      blockCount: number, blocks: number, lanes: number, columns: number, groupLength: number,
      scratch: number, epsilon: number): void;
  backwardLanes(
      dy: number, x: number, invStd: number, gamma: number, dMean: number, dInvStd: number,
      dx: number, dGamma: number, dBeta: number, dGammaSum: number, dBetaSum: number,
      blockCount: number, blocks: number, lanes: number, columns: number, groupLength: number,
      scratch: number): void;
}

/**
 * How the kernels walk a layout. 'lanes': the innermost axis is kept, so
 * `width` adjacent groups form a block; `starts` holds each block's start,
 * `offsets` each column's offset from its group's start. 'runs': the
 * innermost axis is normalized; `starts` holds each group's start, `offsets`
 * each run of `width` contiguous elements. Offsets in bytes.
 */
export interface StridedPlan {
  family: 'lanes'|'runs';
  starts: Int32Array;
  offsets: Int32Array;
  width: number;
}

const FLOAT32_BYTES = 4;

/** The plan for a layout the strided kernels take, or null. */
export function stridedPlan(layout: GroupLayout): StridedPlan|null {
  const {dims, groupCount, groupLength} = layout;
  if (layout.contiguous || !layout.paramsPerColumn || groupCount * groupLength === 0) {
    return null;
  }
  const inner = dims[dims.length - 1];
  const outer = dims.slice(0, -1);
  const bytes = (offsets: Int32Array) => offsets.map(o => o * FLOAT32_BYTES);
  if (inner.normalized) {
    return {
      family: 'runs',
      starts: bytes(groupOffsets(layout).x),
      offsets: bytes(columnOffsets({...layout, dims: outer, groupLength: groupLength / inner.size}).x),
      width: inner.size,
    };
  }
  return {
    family: 'lanes',
    starts: bytes(groupOffsets({...layout, dims: outer, groupCount: groupCount / inner.size}).x),
    offsets: bytes(columnOffsets(layout).x),
    width: inner.size,
  };
}

/** Where a plan's tables and scratch space sit in memory. */
export interface PlanMemory {
  starts: number;
  offsets: number;
  scratch: number;
}

/** Bytes of memory a plan takes (see writePlan). */
export function planBytes(plan: StridedPlan): number {
  // The lanes kernels keep 32 bytes of running sums per group of a block.
  const scratch = plan.family === 'lanes' ? 32 * plan.width : 0;
  return (plan.starts.length + plan.offsets.length) * Int32Array.BYTES_PER_ELEMENT + scratch;
}

/** Copies the plan's tables to `at` in `buffer` (16-byte aligned, planBytes long). */
export function writePlan(plan: StridedPlan, buffer: ArrayBufferLike, at: number): PlanMemory {
  const scratch = at;
  const starts = at + planBytes(plan) - plan.starts.byteLength - plan.offsets.byteLength;
  const offsets = starts + plan.starts.byteLength;
  new Int32Array(buffer, starts, plan.starts.length).set(plan.starts);
  new Int32Array(buffer, offsets, plan.offsets.length).set(plan.offsets);
  return {starts, offsets, scratch};
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
    kernels: StridedSimdKernels, plan: StridedPlan, tables: PlanMemory,
    a: ForwardAddresses, epsilon: number): void {
  const {starts, offsets, width} = plan;
  if (plan.family === 'runs') {
    kernels.forwardRuns(
        a.x, a.gamma, a.beta, a.y, a.mean, a.invStd, starts.length, tables.starts,
        tables.offsets, offsets.length, width, epsilon);
  } else {
    kernels.forwardLanes(
        a.x, a.gamma, a.beta, a.y, a.mean, a.invStd, starts.length, tables.starts, width,
        tables.offsets, offsets.length, tables.scratch, epsilon);
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

export function backwardStrided(
    kernels: StridedSimdKernels, plan: StridedPlan, tables: PlanMemory,
    a: BackwardAddresses): void {
  const {starts, offsets, width} = plan;
  const args = [
    a.dy, a.x, a.invStd, a.gamma, a.dMean, a.dInvStd, a.dx, a.dGamma, a.dBeta, a.dGammaSum,
    a.dBetaSum, starts.length, tables.starts,
  ] as const;
  if (plan.family === 'runs') {
    kernels.backwardRuns(...args, tables.offsets, offsets.length, width);
  } else {
    kernels.backwardLanes(...args, width, tables.offsets, offsets.length, tables.scratch);
  }
}

/** Compiled modules by memory kind; null where this engine has no WebAssembly SIMD. */
const modules = new Map<boolean, WebAssembly.Module|null>();

function compiled(sharedMemory: boolean): WebAssembly.Module|null {
  let module = modules.get(sharedMemory);
  if (module === undefined) {
    const text = sharedMemory ? STRIDED_KERNELS_SHARED_MEMORY_WASM_BASE64 : STRIDED_KERNELS_WASM_BASE64;
    const binary = atob(text);
    const bytes = new Uint8Array(new ArrayBuffer(binary.length));
    for (let i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    try {
      module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      // Chrome before 115 refuses a synchronous compile over 4 KiB on the main thread.
      module = null;
    }
    modules.set(sharedMemory, module);
  }
  return module;
}

/** The strided kernels on `memory`, or null where they cannot run. */
export function instantiateStridedKernels(memory: unknown): StridedSimdKernels|null {
  if (typeof WebAssembly !== 'object' || !(memory instanceof WebAssembly.Memory)) {
    return null;
  }
  const shared = typeof SharedArrayBuffer !== 'undefined' &&
      memory.buffer instanceof SharedArrayBuffer;
  const module = compiled(shared);
  if (module == null) {
    return null;
  }
  return new WebAssembly.Instance(module, {env: {memory}}).exports as unknown as StridedSimdKernels;
}
