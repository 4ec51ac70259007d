/**
 * Invocations per group in the one-workgroup-per-group programs. On a GPU:
 * about groupUnits / 4, a power of two up to the device's limit. On
 * SwiftShader a workgroup runs as 4-wide SIMD groups that switch context at
 * every barrier, at a cost growing with its size (the statistics on
 * [8,128,768]: 20 ms at 4 invocations per group, 380 ms at 64), so there a
 * group gets one SIMD group. LAYERNORM_WEBGPU_GROUP_WORKGROUP_SIZE forces a
 * size (0 chooses): the tests run the GPU sizes on any adapter with it.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

export const GROUP_WORKGROUP_SIZE_FLAG = 'LAYERNORM_WEBGPU_GROUP_WORKGROUP_SIZE';
tf.env().registerFlag(GROUP_WORKGROUP_SIZE_FLAG, () => 0);

const MIN_UNITS_PER_INVOCATION = 4;
const CPU_EMULATED_ARCHITECTURES = ['swiftshader'];
const CPU_EMULATED_SIMD_WIDTH = 4;

export function groupWorkgroupSize(backend: WebGPUBackend, groupUnits: number): number {
  const {limits} = backend.device;
  const deviceMax = Math.min(
      limits.maxComputeWorkgroupSizeX, limits.maxComputeInvocationsPerWorkgroup);
  const forced = tf.env().getNumber(GROUP_WORKGROUP_SIZE_FLAG);
  if (forced !== 0) {
    if (!isPowerOfTwo(forced) || forced > deviceMax) {
      throw new Error(`${GROUP_WORKGROUP_SIZE_FLAG} must be 0 or a power of two <= ${
          deviceMax}; got ${forced}`);
    }
    return forced;
  }
  const max = isCpuEmulated(backend) ? CPU_EMULATED_SIMD_WIDTH : deviceMax;
  const wanted = Math.ceil(groupUnits / MIN_UNITS_PER_INVOCATION);
  return Math.min(2 ** Math.floor(Math.log2(max)), wanted <= 1 ? 1 : 2 ** Math.ceil(Math.log2(wanted)));
}

function isCpuEmulated(backend: WebGPUBackend): boolean {
  // TF.js keeps the adapter's architecture in a private field.
  const info = backend.adapterInfo as unknown as {architecture?: string};
  return CPU_EMULATED_ARCHITECTURES.includes(info?.architecture ?? '');
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}
