/**
 * Invocations per group in the per-group programs. On a GPU: about
 * groupUnits / 4, a power of two up to the device's limit. On SwiftShader a
 * workgroup runs as 4-wide SIMD groups that switch context at every barrier,
 * at a cost growing with its size (the statistics on [8,128,768]: 20 ms at 4
 * invocations per group, 380 ms at 64), so there a group gets one
 * invocation when there are groups enough to fill the SIMD lanes (the
 * forward: 10 ms), else one SIMD group. At size 1 the programs run without
 * barriers, groupsPerWorkgroup invocations to a workgroup.
 * LAYERNORM_WEBGPU_GROUP_WORKGROUP_SIZE forces a size (0 chooses): the tests
 * run the other sizes on any adapter with it.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {WORKGROUP_INDEX} from './fused_pipeline';
import {ELEMENTWISE_WORKGROUP_SIZE} from './layout_wgsl';

export const GROUP_WORKGROUP_SIZE_FLAG = 'LAYERNORM_WEBGPU_GROUP_WORKGROUP_SIZE';
tf.env().registerFlag(GROUP_WORKGROUP_SIZE_FLAG, () => 0);

const MIN_UNITS_PER_INVOCATION = 4;
const CPU_EMULATED_ARCHITECTURES = ['swiftshader'];
const CPU_EMULATED_SIMD_WIDTH = 4;
/** Groups from which SwiftShader gets one invocation per group. */
const CPU_EMULATED_MIN_GROUPS_PER_INVOCATION = 16;

export function groupWorkgroupSize(
    backend: WebGPUBackend, groupUnits: number, groupCount: number): number {
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
  const cpuEmulated = isCpuEmulated(backend);
  if (cpuEmulated && groupCount >= CPU_EMULATED_MIN_GROUPS_PER_INVOCATION) {
    return 1;
  }
  const max = cpuEmulated ? CPU_EMULATED_SIMD_WIDTH : deviceMax;
  const wanted = Math.ceil(groupUnits / MIN_UNITS_PER_INVOCATION);
  return Math.min(2 ** Math.floor(Math.log2(max)), wanted <= 1 ? 1 : 2 ** Math.ceil(Math.log2(wanted)));
}

/** Groups per workgroup of a per-group program: several at workgroup size 1, else one. */
export function groupsPerWorkgroup(backend: WebGPUBackend, workgroupSize: number): number {
  if (workgroupSize !== 1) {
    return 1;
  }
  return isCpuEmulated(backend) ? CPU_EMULATED_SIMD_WIDTH : ELEMENTWISE_WORKGROUP_SIZE;
}

/** WGSL: the group of an invocation of a per-group program. */
export function groupIndex(workgroupSize: number, packing: number): string {
  return workgroupSize === 1 ? `${WORKGROUP_INDEX} * ${packing} + i32(local)` : WORKGROUP_INDEX;
}

/** WGSL: the first column (unit) an invocation of a per-group program visits. */
export function firstColumn(workgroupSize: number): string {
  return workgroupSize === 1 ? '0' : 'i32(local)';
}

function isCpuEmulated(backend: WebGPUBackend): boolean {
  // TF.js keeps the adapter's architecture in a private field.
  const info = backend.adapterInfo as unknown as {architecture?: string};
  return CPU_EMULATED_ARCHITECTURES.includes(info?.architecture ?? '');
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}
