/** Fused backward LayerNorm for the `cpu` backend: SIMD kernels where they run, else JS loops. */
import * as tf from '@tensorflow/tfjs';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {GroupLayout} from '../../layout';
import {checkBackwardKernel} from '../shared/kernel_inputs';
import {backwardGroups, GradArrays} from '../shared/layer_norm_grad_impl';
import {readFloat32, values} from './layer_norm';
import {PARAM_SUMS_BYTES_PER_COLUMN} from '../shared/simd_module';
import {backwardStrided, planBytes, stridedBackwardTakes, stridedPlan, writePlan} from '../shared/strided_simd';
import {chunkRows, FLOAT32_BYTES, simdRegions} from './simd_arena';

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: MathBackendCPU,
  attrs: LayerNormGradAttrs
}): tf.TensorInfo[] {
  const {inputs, backend} = args;
  const layout = checkBackwardKernel('cpu', inputs, args.attrs);
  const [dx, dGamma, dBeta] =
      backwardSimd(layout, inputs, backend) ?? backwardStridedSimd(layout, inputs, backend) ??
      backwardJs(layout, inputs, backend);
  const paramShape = inputs.gamma.shape;
  return [
    backend.makeTensorInfo(inputs.x.shape, 'float32', dx),
    backend.makeTensorInfo(paramShape, 'float32', dGamma),
    backend.makeTensorInfo(paramShape, 'float32', dBeta),
  ];
}

function backwardSimd(
    layout: GroupLayout, inputs: LayerNormGradInputs,
    backend: MathBackendCPU): Float32Array[]|null {
  const {groupCount, groupLength: n} = layout;
  const rowsPerChunk = chunkRows(n);
  const simd = layout.contiguous && layout.paramsPerColumn ?
      simdRegions([
        rowsPerChunk * n, rowsPerChunk * n, rowsPerChunk, n, rowsPerChunk, rowsPerChunk,
        n * PARAM_SUMS_BYTES_PER_COLUMN / FLOAT32_BYTES,
      ]) :
      null;
  if (simd == null) {
    return null;
  }
  const {kernels, heap, starts: [dyAt, xAt, invStdAt, gammaAt, dMeanAt, dInvStdAt, sumsAt]} = simd;
  const [dy, x, invStd, dMean, dInvStd] =
      [inputs.dy, inputs.x, inputs.invStd, inputs.dMean, inputs.dInvStd].map(
          t => values(backend, t));
  heap.set(values(backend, inputs.gamma), gammaAt);
  const sums = new Float64Array(heap.buffer, sumsAt * FLOAT32_BYTES, 2 * n);
  sums.fill(0);
  const dx = new Float32Array(groupCount * n);
  for (let row = 0; row < groupCount; row += rowsPerChunk) {
    const rows = Math.min(rowsPerChunk, groupCount - row);
    heap.set(dy.subarray(row * n, (row + rows) * n), dyAt);
    heap.set(x.subarray(row * n, (row + rows) * n), xAt);
    heap.set(invStd.subarray(row, row + rows), invStdAt);
    heap.set(dMean.subarray(row, row + rows), dMeanAt);
    heap.set(dInvStd.subarray(row, row + rows), dInvStdAt);
    // dx overwrites dy: each dx element depends only on its own dy, x and gamma.
    kernels.backwardGroups(
        4 * dyAt, 4 * xAt, 4 * invStdAt, 4 * gammaAt, 4 * dMeanAt, 4 * dInvStdAt, 4 * dyAt,
        4 * sumsAt, rows, n);
    dx.set(heap.subarray(dyAt, dyAt + rows * n), row * n);
  }
  return [dx, Float32Array.from(sums.subarray(0, n)), Float32Array.from(sums.subarray(n))];
}

/** Non-contiguous groups: the whole tensors copied in, the strided kernels, copied out. */
function backwardStridedSimd(
    layout: GroupLayout, inputs: LayerNormGradInputs,
    backend: MathBackendCPU): Float32Array[]|null {
  const plan = stridedBackwardTakes(values(backend, inputs.invStd)) ? stridedPlan(layout) : null;
  const {groupCount, groupLength: n} = layout;
  const size = groupCount * n;
  const simd = plan && simdRegions([
    size, size, groupCount, n, groupCount, groupCount, size, n, n, 2 * n, 2 * n,
    planBytes(plan) / FLOAT32_BYTES,
  ]);
  if (plan == null || simd?.strided == null) {
    return null;
  }
  const {strided, heap, starts} = simd;
  const [dyAt, xAt, invStdAt, gammaAt, dMeanAt, dInvStdAt, dxAt, dGammaAt, dBetaAt,
         dGammaSumAt, dBetaSumAt, planAt] = starts;
  const {dy, x, invStd, gamma, dMean, dInvStd} = inputs;
  [dy, x, invStd, gamma, dMean, dInvStd].forEach(
      (t, i) => heap.set(values(backend, t), starts[i]));
  const memory = writePlan(plan, heap.buffer, FLOAT32_BYTES * planAt);
  backwardStrided(strided, plan, memory, groupCount, {
    dy: 4 * dyAt, x: 4 * xAt, invStd: 4 * invStdAt, gamma: 4 * gammaAt, dMean: 4 * dMeanAt,
    dInvStd: 4 * dInvStdAt, dx: 4 * dxAt, dGamma: 4 * dGammaAt, dBeta: 4 * dBetaAt,
    dGammaSum: 4 * dGammaSumAt, dBetaSum: 4 * dBetaSumAt,
  });
  return [
    heap.slice(dxAt, dxAt + size),
    heap.slice(dGammaAt, dGammaAt + n),
    heap.slice(dBetaAt, dBetaAt + n),
  ];
}

function backwardJs(
    layout: GroupLayout, inputs: LayerNormGradInputs, backend: MathBackendCPU): Float32Array[] {
  const a: GradArrays = {
    dy: readFloat32(backend, inputs.dy),
    x: readFloat32(backend, inputs.x),
    invStd: readFloat32(backend, inputs.invStd),
    gamma: readFloat32(backend, inputs.gamma),
    dMean: readFloat32(backend, inputs.dMean),
    dInvStd: readFloat32(backend, inputs.dInvStd),
    dx: new Float32Array(layout.groupCount * layout.groupLength),
    dGamma: new Float64Array(layout.paramSize),
    dBeta: new Float64Array(layout.paramSize),
  };
  backwardGroups(layout, a);
  return [a.dx, Float32Array.from(a.dGamma), Float32Array.from(a.dBeta)];
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'cpu',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
