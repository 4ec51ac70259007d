/**
 * The WebAssembly SIMD kernels (layer_norm_kernels.wat), instantiated once
 * per wasm backend on that backend's memory. Where they cannot run (no SIMD,
 * memory not found) the kernels use the JS loops over the same heap.
 */
import type {KernelBackend} from '@tensorflow/tfjs';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {EmscriptenHeap, emscriptenHeap} from './heap';
import {KERNELS_SHARED_MEMORY_WASM_BASE64, KERNELS_WASM_BASE64} from './layer_norm_kernels_wasm';

/** The exports of layer_norm_kernels.wat; every address is a heap byte address. */
export interface SimdKernels {
  forwardGroups(
      x: number, gamma: number, beta: number, y: number, mean: number,
      invStd: number, groupCount: number, groupLength: number, epsilon: number): void;
  backwardGroups(
      dy: number, x: number, invStd: number, gamma: number, dMean: number,
      dInvStd: number, dx: number, dGamma: number, dBeta: number,
      dGammaSum: number, dBetaSum: number, groupCount: number, groupLength: number): void;
}

/** 'simd': the SIMD kernels where they can run; 'js': always the JS loops. */
export type WasmKernelImplementation = 'simd'|'js';

let implementation: WasmKernelImplementation = 'simd';

/** Chooses the implementation (for tests and benchmarks; default 'simd'). */
export function setWasmKernelImplementation(choice: WasmKernelImplementation):
    void {
  if (choice !== 'simd' && choice !== 'js') {
    throw new Error(`setWasmKernelImplementation: expected 'simd' or 'js'; got ${
        String(choice)}`);
  }
  implementation = choice;
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
    kernels = instantiate(heap);
    instances.set(heap, kernels);
  }
  return kernels;
}

/**
 * Which implementation the kernels use on this backend: 'simd' unless the
 * SIMD kernels cannot run there (or 'js' was chosen). For diagnostics.
 */
export function wasmKernelsInUse(backend: KernelBackend): WasmKernelImplementation {
  const b = backend as Partial<BackendWasm>|null;
  if (b == null || typeof b.wasm !== 'object' || !(b.dataIdMap instanceof Object)) {
    throw new Error(
        'wasmKernelsInUse: backend must be the wasm backend (tf.backend() while ' +
        `'wasm' is active); got ${b == null ? String(b) : b.constructor?.name}`);
  }
  return simdKernels(b as BackendWasm) != null ? 'simd' : 'js';
}

function instantiate(heap: EmscriptenHeap): SimdKernels|null {
  const memory = heap.wasmMemory ?? heap.asm?.memory;
  if (typeof WebAssembly !== 'object' || !(memory instanceof WebAssembly.Memory)) {
    return null;
  }
  const shared = typeof SharedArrayBuffer !== 'undefined' &&
      memory.buffer instanceof SharedArrayBuffer;
  const bytes =
      decodeBase64(shared ? KERNELS_SHARED_MEMORY_WASM_BASE64 : KERNELS_WASM_BASE64);
  if (!WebAssembly.validate(bytes)) {
    return null;  // no WebAssembly SIMD in this engine
  }
  // Synchronous: browsers allow it on the main thread under 4 KiB (this is ~2.3 KiB).
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, {env: {memory}});
  return instance.exports as unknown as SimdKernels;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}
