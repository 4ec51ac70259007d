/**
 * The SIMD kernels for the cpu backend on a WebAssembly memory of our own: contiguous groups stream
 * through it in cache-sized chunks, strided layouts are copied in whole. Kept up to RETAINED_BYTES.
 */
import {checkImplementation, CONTIGUOUS_KERNELS, KernelImplementation, SimdKernels} from '../shared/simd_module';
import {STRIDED_KERNELS, StridedSimdKernels} from '../shared/strided_simd';

const PAGE_BYTES = 65536;
export const FLOAT32_BYTES = 4;
/** Regions start on 16-byte boundaries (whole v128 lanes). */
const ALIGN_FLOATS = 4;
const RETAINED_BYTES = 64 * 1024 * 1024;
/** The kernels address bytes with i32; past 2 GiB the JS loops run. */
const MAX_BYTES = 2 ** 31;

/** Elements per chunk (per streamed tensor): a few chunks fit in a core's L2 cache. */
const CHUNK_ELEMENTS = 16384;

export function chunkRows(groupLength: number): number {
  return Math.max(1, Math.floor(CHUNK_ELEMENTS / Math.max(1, groupLength)));
}

let implementation: KernelImplementation = 'simd';

/** Chooses the cpu backend's implementation (for tests and benchmarks; default 'simd'). */
export function setCpuKernelImplementation(choice: KernelImplementation): void {
  implementation = checkImplementation('setCpuKernelImplementation', choice);
}

/** 'simd' where this engine runs the SIMD kernels (and 'js' was not chosen). */
export function cpuKernelsInUse(): KernelImplementation {
  return implementation === 'simd' && CONTIGUOUS_KERNELS.available() ? 'simd' : 'js';
}

interface Arena {
  memory: WebAssembly.Memory;
  kernels: SimdKernels;
  strided: StridedSimdKernels|null;
}

let retained: Arena|null = null;

/** The kernels, a float32 view of their memory and the start of each region. */
export interface SimdRegions {
  kernels: SimdKernels;
  strided: StridedSimdKernels|null;
  heap: Float32Array;
  /** Float32 index of each region; its byte address is 4 times that. */
  starts: number[];
}

/** Memory for regions of the given float32 lengths, or null for the JS loops. */
export function simdRegions(lengths: readonly number[]): SimdRegions|null {
  if (cpuKernelsInUse() === 'js') {
    return null;
  }
  const starts: number[] = [];
  let end = 0;
  for (const length of lengths) {
    starts.push(end);
    end += Math.ceil(length / ALIGN_FLOATS) * ALIGN_FLOATS;
  }
  const bytes = end * FLOAT32_BYTES;
  if (bytes > MAX_BYTES) {
    return null;
  }
  const arena = bytes <= RETAINED_BYTES ? retainedArena(bytes) : newArena(bytes);
  if (arena == null) {
    return null;
  }
  return {
    kernels: arena.kernels,
    strided: arena.strided,
    heap: new Float32Array(arena.memory.buffer, 0, end),
    starts,
  };
}

function retainedArena(bytes: number): Arena|null {
  if (retained == null) {
    retained = newArena(bytes);
  } else if (retained.memory.buffer.byteLength < bytes) {
    try {
      retained.memory.grow(pages(bytes) - retained.memory.buffer.byteLength / PAGE_BYTES);
    } catch {
      return null;  // out of memory: the JS loops need none of this
    }
  }
  return retained;
}

function newArena(bytes: number): Arena|null {
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({initial: pages(bytes)});
  } catch {
    return null;
  }
  const kernels = CONTIGUOUS_KERNELS.instantiate(memory);
  return kernels == null ? null : {memory, kernels, strided: STRIDED_KERNELS.instantiate(memory)};
}

function pages(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / PAGE_BYTES));
}
