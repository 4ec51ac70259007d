/** Our WebAssembly SIMD modules, instantiated on the wasm heap or the cpu backend's own memory. */
import {KERNELS_SHARED_MEMORY_WASM_BASE64, KERNELS_WASM_BASE64} from './layer_norm_kernels_wasm';

/** The exports of layer_norm_kernels.wat; every address is a byte address in its memory. */
export interface SimdKernels {
  forwardGroups(
      x: number, gamma: number, beta: number, y: number, mean: number,
      invStd: number, groupCount: number, groupLength: number, epsilon: number): void;
  /** Adds dGamma's and dBeta's float64 sums into `paramSums` (see PARAM_SUMS_BYTES_PER_COLUMN). */
  backwardGroups(
      dy: number, x: number, invStd: number, gamma: number, dMean: number,
      dInvStd: number, dx: number, paramSums: number, groupCount: number,
      groupLength: number): void;
}

/** backwardGroups' `paramSums` per column: float64 dGamma and dBeta sums (the caller
 * zeroes and rounds them), then two float32 of scratch. */
export const PARAM_SUMS_BYTES_PER_COLUMN = 2 * 8 + 2 * 4;

/** 'simd': the SIMD kernels where they can run; 'js': always the JS loops. */
export type KernelImplementation = 'simd'|'js';

export function checkImplementation(caller: string, choice: unknown): KernelImplementation {
  if (choice !== 'simd' && choice !== 'js') {
    throw new Error(`${caller}: expected 'simd' or 'js'; got ${String(choice)}`);
  }
  return choice;
}

/** A module in its two builds (ordinary and shared memory), compiled once each. */
export class SimdModule<Exports> {
  private readonly compiled = new Map<boolean, WebAssembly.Module|null>();

  constructor(private readonly plainBase64: string, private readonly sharedBase64: string) {}

  /** The module's exports on `memory`, or null where they cannot run. */
  instantiate(memory: unknown): Exports|null {
    if (typeof WebAssembly !== 'object' || !(memory instanceof WebAssembly.Memory)) {
      return null;
    }
    const shared = typeof SharedArrayBuffer !== 'undefined' &&
        memory.buffer instanceof SharedArrayBuffer;
    const module = this.compile(shared);
    return module == null ? null :
                            new WebAssembly.Instance(module, {env: {memory}}).exports as Exports;
  }

  /** Whether this engine runs the module at all. */
  available(): boolean {
    return typeof WebAssembly === 'object' && this.compile(false) != null;
  }

  private compile(sharedMemory: boolean): WebAssembly.Module|null {
    let module = this.compiled.get(sharedMemory);
    if (module === undefined) {
      const bytes = decodeBase64(sharedMemory ? this.sharedBase64 : this.plainBase64);
      try {
        module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
      } catch {
        // Chrome before 115 refuses a synchronous compile over 4 KiB on the main thread.
        module = null;
      }
      this.compiled.set(sharedMemory, module);
    }
    return module;
  }
}

/** The contiguous-group kernels (layer_norm_kernels.wat). */
export const CONTIGUOUS_KERNELS =
    new SimdModule<SimdKernels>(KERNELS_WASM_BASE64, KERNELS_SHARED_MEMORY_WASM_BASE64);

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}
