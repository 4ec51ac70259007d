/** The SIMD modules bound to each wasm backend's heap (JS loops where they cannot run). */
import type {KernelBackend} from '@tensorflow/tfjs';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {checkImplementation, CONTIGUOUS_KERNELS, KernelImplementation, SimdKernels, SimdModule} from '../shared/simd_module';
import {STRIDED_KERNELS, StridedSimdKernels} from '../shared/strided_simd';
import {EmscriptenHeap, emscriptenHeap} from './heap';

let implementation: KernelImplementation = 'simd';

/** Chooses the wasm backend's implementation (for tests and benchmarks; default 'simd'). */
export function setWasmKernelImplementation(choice: KernelImplementation): void {
  implementation = checkImplementation('setWasmKernelImplementation', choice);
}

/** A module's instance per Emscripten heap (null where it cannot run there). */
function boundToHeap<Exports>(module: SimdModule<Exports>): (backend: BackendWasm) => Exports|null {
  const instances = new WeakMap<EmscriptenHeap, Exports|null>();
  return backend => {
    const heap = emscriptenHeap(backend);
    let exports = instances.get(heap);
    if (exports === undefined) {
      exports = module.instantiate(heap.wasmMemory ?? heap.asm?.memory);
      instances.set(heap, exports);
    }
    return exports;
  };
}

const contiguousOnHeap = boundToHeap(CONTIGUOUS_KERNELS);
const stridedOnHeap = boundToHeap(STRIDED_KERNELS);

/** The contiguous-group kernels on this backend's heap, or null for the JS loops. */
export function simdKernels(backend: BackendWasm): SimdKernels|null {
  return implementation === 'js' ? null : contiguousOnHeap(backend);
}

/** The strided kernels on this backend's heap; null where simdKernels is. */
export function stridedKernels(backend: BackendWasm): StridedSimdKernels|null {
  return simdKernels(backend) == null ? null : stridedOnHeap(backend);
}

/** Which implementation runs on this backend ('js' where SIMD cannot run or 'js' was chosen). */
export function wasmKernelsInUse(backend: KernelBackend): KernelImplementation {
  const b = backend as Partial<BackendWasm>|null;
  if (b == null || typeof b.wasm !== 'object' || !(b.dataIdMap instanceof Object)) {
    throw new Error(
        'wasmKernelsInUse: backend must be the wasm backend (tf.backend() while ' +
        `'wasm' is active); got ${b == null ? String(b) : b.constructor?.name}`);
  }
  return simdKernels(b as BackendWasm) != null ? 'simd' : 'js';
}
