/** The heap of TF.js's `wasm` backend: tensor addresses, views, scratch space. */
import * as tf from '@tensorflow/tfjs';
import type {DataType, TensorInfo} from '@tensorflow/tfjs';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

/** The parts of the Emscripten module these kernels use (left out of the published types). */
export interface EmscriptenHeap {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(address: number): void;
  /** Single-threaded builds. */
  asm?: {memory?: WebAssembly.Memory};
  /** Threaded builds (shared memory). */
  wasmMemory?: WebAssembly.Memory;
}

export function emscriptenHeap(backend: BackendWasm): EmscriptenHeap {
  return backend.wasm as unknown as EmscriptenHeap;
}

const FLOAT32_BYTES = 4;
export const FLOAT64_BYTES = 8;

/**
 * The heap of one kernel call. Make views after the last allocation: growing
 * the heap detaches every earlier view.
 */
export class KernelHeap {
  private readonly scratch: number[] = [];
  private readonly module: EmscriptenHeap;

  constructor(private readonly backend: BackendWasm) {
    this.module = emscriptenHeap(backend);
  }

  address(t: TensorInfo): number {
    return this.backend.dataIdMap.get(t.dataId).memoryOffset;
  }

  /** Address of a tensor's values as float32: its own, or a converted copy for int32. */
  float32Address(t: TensorInfo): number {
    if (t.dtype === 'float32') {
      return this.address(t);
    }
    const size = tf.util.sizeFromShape(t.shape);
    const copy = this.allocate(size * FLOAT32_BYTES);
    this.float32View(copy, size).set(this.view(t.dtype, this.address(t), size));
    return copy;
  }

  /** Scratch space, freed by `free()`; 8-byte aligned (malloc's alignment). */
  allocate(bytes: number): number {
    // `>>> 0`: malloc returns a signed address, negative above 2 GiB.
    const address = this.module._malloc(bytes) >>> 0;
    if (address === 0 && bytes > 0) {
      throw new Error(`layerNorm (wasm): out of memory allocating ${bytes} bytes of scratch`);
    }
    this.scratch.push(address);
    return address;
  }

  float32View(address: number, length: number): Float32Array {
    return new Float32Array(this.module.HEAPU8.buffer, address, length);
  }

  float64View(address: number, length: number): Float64Array {
    return new Float64Array(this.module.HEAPU8.buffer, address, length);
  }

  private view(dtype: DataType, address: number, length: number):
      Float32Array|Int32Array|Uint8Array {
    const buffer = this.module.HEAPU8.buffer;
    switch (dtype) {
      case 'float32':
        return new Float32Array(buffer, address, length);
      case 'int32':
        return new Int32Array(buffer, address, length);
      case 'bool':
        return new Uint8Array(buffer, address, length);
      default:
        throw new Error(`layerNorm (wasm): unsupported input dtype ${dtype}`);
    }
  }

  free(): void {
    for (const address of this.scratch) {
      this.module._free(address);
    }
    this.scratch.length = 0;
  }
}

/** Runs a kernel body; frees the scratch space always, and the outputs if it throws. */
export function runOnHeap<T>(
    backend: BackendWasm, outputs: TensorInfo[], body: (heap: KernelHeap) => T): T {
  const heap = new KernelHeap(backend);
  try {
    return body(heap);
  } catch (e) {
    for (const out of outputs) {
      backend.disposeData(out.dataId, true);
    }
    throw e;
  } finally {
    heap.free();
  }
}
