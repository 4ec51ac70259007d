/**
 * How many invocations share a row in the one-workgroup-per-row programs
 * (LayerNormStatsProgram, LayerNormGradRowProgram).
 *
 * On a GPU: about rowUnits / MIN_UNITS_PER_INVOCATION, a power of two for the
 * shared-memory tree, up to the device's limit; the strided loop gives each
 * invocation a few units, the tree costs log2(size) barriers.
 *
 * On an adapter that emulates a GPU on the CPU (SwiftShader), a workgroup
 * runs as 4-wide SIMD groups that switch context at every barrier, at a cost
 * that grows with the workgroup size: the statistics program on [8,128,768]
 * took 20 ms with 4 invocations per row, 380 ms with 64 and 2 s with 256
 * (Node, Dawn on SwiftShader). There a row gets one SIMD group.
 *
 * The flag LAYERNORM_WEBGPU_ROW_WORKGROUP_SIZE forces a size (0, the
 * default, chooses as above): the tests use it to run the GPU sizes on any
 * adapter.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

export const ROW_WORKGROUP_SIZE_FLAG = 'LAYERNORM_WEBGPU_ROW_WORKGROUP_SIZE';
tf.env().registerFlag(ROW_WORKGROUP_SIZE_FLAG, () => 0);

/** Units of a row each invocation should handle at least, on a GPU. */
export const MIN_UNITS_PER_INVOCATION = 4;

/** Adapter architectures that run compute shaders on the CPU. */
const CPU_EMULATED_ARCHITECTURES = ['swiftshader'];
/** SIMD width those adapters run a workgroup at. */
const CPU_EMULATED_SIMD_WIDTH = 4;

export function rowWorkgroupSize(backend: WebGPUBackend, rowUnits: number): number {
  const {limits} = backend.device;
  const deviceMax = Math.min(
      limits.maxComputeWorkgroupSizeX, limits.maxComputeInvocationsPerWorkgroup);
  const forced = tf.env().getNumber(ROW_WORKGROUP_SIZE_FLAG);
  if (forced !== 0) {
    if (!isPowerOfTwo(forced) || forced > deviceMax) {
      throw new Error(`${ROW_WORKGROUP_SIZE_FLAG} must be 0 or a power of two <= ${
          deviceMax}; got ${forced}`);
    }
    return forced;
  }
  const max = isCpuEmulated(backend) ? CPU_EMULATED_SIMD_WIDTH : deviceMax;
  const wanted = Math.ceil(rowUnits / MIN_UNITS_PER_INVOCATION);
  return Math.min(floorPowerOfTwo(max), ceilPowerOfTwo(wanted));
}

function isCpuEmulated(backend: WebGPUBackend): boolean {
  // TF.js keeps the adapter's architecture in a private field.
  const info = backend.adapterInfo as unknown as {architecture?: string};
  return CPU_EMULATED_ARCHITECTURES.includes(info?.architecture ?? '');
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

function floorPowerOfTwo(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

function ceilPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}
