/** Fused forward LayerNorm for the `cpu` backend: SIMD kernels where they run, else JS loops. */
import * as tf from '@tensorflow/tfjs';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {statsShape} from '../../layer_norm_util';
import {GroupLayout} from '../../layout';
import {checkForwardKernel} from '../shared/kernel_inputs';
import {forwardGroups} from '../shared/layer_norm_impl';
import {forwardStrided, planBytes, stridedPlan, writePlan} from '../shared/strided_simd';
import {chunkRows, FLOAT32_BYTES, simdRegions} from './simd_arena';

export function layerNorm(args: {
  inputs: LayerNormInputs,
  backend: MathBackendCPU,
  attrs: LayerNormAttrs
}): tf.TensorInfo[] {
  const {inputs, backend, attrs} = args;
  const {layout} = checkForwardKernel('cpu', inputs, attrs);
  const [y, mean, invStd] = forwardSimd(layout, inputs, backend, attrs.epsilon) ??
      forwardStridedSimd(layout, inputs, backend, attrs.epsilon) ??
      forwardJs(layout, inputs, backend, attrs.epsilon);
  const statShape = statsShape(inputs.x.shape, attrs.axis);
  return [
    backend.makeTensorInfo(inputs.x.shape, 'float32', y),
    backend.makeTensorInfo(statShape, 'float32', mean),
    backend.makeTensorInfo(statShape, 'float32', invStd),
  ];
}

function forwardSimd(
    layout: GroupLayout, {x, gamma, beta}: LayerNormInputs, backend: MathBackendCPU,
    epsilon: number): Float32Array[]|null {
  const {groupCount, groupLength: n, paramSize} = layout;
  const rowsPerChunk = chunkRows(n);
  const simd = layout.contiguous && layout.paramsPerColumn ?
      simdRegions([rowsPerChunk * n, paramSize, paramSize, rowsPerChunk, rowsPerChunk]) :
      null;
  if (simd == null) {
    return null;
  }
  const {kernels, heap, starts: [xAt, gammaAt, betaAt, meanAt, invStdAt]} = simd;
  const xValues = values(backend, x);
  heap.set(values(backend, gamma), gammaAt);
  heap.set(values(backend, beta), betaAt);
  const y = new Float32Array(groupCount * n);
  const mean = new Float32Array(groupCount);
  const invStd = new Float32Array(groupCount);
  for (let row = 0; row < groupCount; row += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, groupCount - row);
    heap.set(xValues.subarray(row * n, (row + rows) * n), xAt);
    // y overwrites x: each y element depends only on its x and the row's statistics.
    kernels.forwardGroups(
        4 * xAt, 4 * gammaAt, 4 * betaAt, 4 * xAt, 4 * meanAt, 4 * invStdAt, rows, n, epsilon);
    y.set(heap.subarray(xAt, xAt + rows * n), row * n);
    mean.set(heap.subarray(meanAt, meanAt + rows), row);
    invStd.set(heap.subarray(invStdAt, invStdAt + rows), row);
  }
  return [y, mean, invStd];
}

/** Non-contiguous groups: the whole tensors copied in, the strided kernels, copied out. */
function forwardStridedSimd(
    layout: GroupLayout, {x, gamma, beta}: LayerNormInputs, backend: MathBackendCPU,
    epsilon: number): Float32Array[]|null {
  const plan = stridedPlan(layout);
  const {groupCount, groupLength, paramSize} = layout;
  const size = groupCount * groupLength;
  const simd = plan && simdRegions([
    size, paramSize, paramSize, size, groupCount, groupCount, planBytes(plan) / FLOAT32_BYTES,
  ]);
  if (plan == null || simd?.strided == null) {
    return null;
  }
  const {strided, heap, starts: [xAt, gammaAt, betaAt, yAt, meanAt, invStdAt, planAt]} = simd;
  heap.set(values(backend, x), xAt);
  heap.set(values(backend, gamma), gammaAt);
  heap.set(values(backend, beta), betaAt);
  const memory = writePlan(plan, heap.buffer, FLOAT32_BYTES * planAt);
  forwardStrided(strided, plan, memory, groupCount, {
    x: 4 * xAt, gamma: 4 * gammaAt, beta: 4 * betaAt, y: 4 * yAt, mean: 4 * meanAt,
    invStd: 4 * invStdAt,
  }, epsilon);
  return [
    heap.slice(yAt, yAt + size),
    heap.slice(meanAt, meanAt + groupCount),
    heap.slice(invStdAt, invStdAt + groupCount),
  ];
}

function forwardJs(
    layout: GroupLayout, {x, gamma, beta}: LayerNormInputs, backend: MathBackendCPU,
    epsilon: number): Float32Array[] {
  const y = new Float32Array(layout.groupCount * layout.groupLength);
  const mean = new Float32Array(layout.groupCount);
  const invStd = new Float32Array(layout.groupCount);
  forwardGroups(
      layout, readFloat32(backend, x), readFloat32(backend, gamma),
      readFloat32(backend, beta), y, mean, invStd, epsilon);
  return [y, mean, invStd];
}

/** A tensor's values as stored (Float32Array or Int32Array). */
export function values(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array|Int32Array {
  return backend.data.get(t.dataId).values as Float32Array|Int32Array;
}

/**
 * A tensor's values as a Float32Array: no copy for float32, a converted copy
 * for int32. One array type keeps the loops monomorphic (much faster in V8).
 */
export function readFloat32(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array {
  const v = values(backend, t);
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'cpu',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
