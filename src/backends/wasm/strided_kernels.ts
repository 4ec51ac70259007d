/** The strided SIMD kernels bound to each wasm backend's heap, next to simdKernels. */
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {instantiateStridedKernels, StridedSimdKernels} from '../shared/strided_simd';
import {EmscriptenHeap, emscriptenHeap} from './heap';
import {simdKernels} from './simd_kernels';

const instances = new WeakMap<EmscriptenHeap, StridedSimdKernels|null>();

/** Null where simdKernels is (the 'js' implementation, no SIMD). */
export function stridedKernels(backend: BackendWasm): StridedSimdKernels|null {
  if (simdKernels(backend) == null) {
    return null;
  }
  const heap = emscriptenHeap(backend);
  let kernels = instances.get(heap);
  if (kernels === undefined) {
    kernels = instantiateStridedKernels(heap.wasmMemory ?? heap.asm?.memory);
    instances.set(heap, kernels);
  }
  return kernels;
}
