/**
 * The SIMD kernels bound to each wasm backend's heap. Where they cannot run
 * (no SIMD, memory not found) the kernels use the JS loops over the same heap.
 */
import type {KernelBackend} from '@tensorflow/tfjs';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {checkImplementation, instantiateSimdKernels, KernelImplementation, SimdKernels} from '../shared/simd_module';
import {EmscriptenHeap, emscriptenHeap} from './heap';

let implementation: KernelImplementation = 'simd';

/** Chooses the wasm backend's implementation (for tests and benchmarks; default 'simd'). */
export function setWasmKernelImplementation(choice: KernelImplementation): void {
  implementation = checkImplementation('setWasmKernelImplementation', choice);
}

/** Instances per Emscripten module; null where the SIMD kernels cannot run. */
const instances = new WeakMap<EmscriptenHeap, SimdKernels|null>();

/** The SIMD kernels bound to this backend's heap, or null for the JS loops. */
export function simdKernels(backend: BackendWasm): SimdKernels|null {
  if (implementation === 'js') {
    return null;
  }
  const heap = emscriptenHeap(backend);
  let kernels = instances.get(heap);
  if (kernels === undefined) {
    kernels = instantiateSimdKernels(heap.wasmMemory ?? heap.asm?.memory);
    instances.set(heap, kernels);
  }
  return kernels;
}

/**
 * Which implementation the kernels use on this backend: 'simd' unless the
 * SIMD kernels cannot run there (or 'js' was chosen). For diagnostics.
 */
export function wasmKernelsInUse(backend: KernelBackend): KernelImplementation {
  const b = backend as Partial<BackendWasm>|null;
  if (b == null || typeof b.wasm !== 'object' || !(b.dataIdMap instanceof Object)) {
    throw new Error(
        'wasmKernelsInUse: backend must be the wasm backend (tf.backend() while ' +
        `'wasm' is active); got ${b == null ? String(b) : b.constructor?.name}`);
  }
  return simdKernels(b as BackendWasm) != null ? 'simd' : 'js';
}
