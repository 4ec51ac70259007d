/** Fused backward LayerNorm for the `cpu` backend: the SIMD kernels where they run, JS loops otherwise. */
import * as tf from '@tensorflow/tfjs';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {GroupLayout} from '../../layout';
import {checkBackwardKernel} from '../shared/kernel_inputs';
import {backwardGroups, GradArrays} from '../shared/layer_norm_grad_impl';
import {readFloat32, values} from './layer_norm';
import {simdRegions} from './simd_arena';

/** Float32 slots per float64 value in the SIMD scratch. */
const FLOAT64_SLOTS = 2;

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: MathBackendCPU,
  attrs: LayerNormGradAttrs
}): tf.TensorInfo[] {
  const {inputs, backend} = args;
  const layout = checkBackwardKernel('cpu', inputs, args.attrs);
  const [dx, dGamma, dBeta] =
      backwardSimd(layout, inputs, backend) ?? backwardJs(layout, inputs, backend);
  const paramShape = inputs.gamma.shape;
  return [
    backend.makeTensorInfo(inputs.x.shape, 'float32', dx),
    backend.makeTensorInfo(paramShape, 'float32', dGamma),
    backend.makeTensorInfo(paramShape, 'float32', dBeta),
  ];
}

function backwardSimd(
    layout: GroupLayout, inputs: LayerNormGradInputs, backend: MathBackendCPU): Float32Array[]|null {
  const {groupCount, groupLength, paramSize} = layout;
  const size = groupCount * groupLength;
  const sums = groupLength * FLOAT64_SLOTS;
  const simd = layout.contiguous && layout.paramsPerColumn ?
      simdRegions([
        size, size, groupCount, paramSize, groupCount, groupCount, size, paramSize, paramSize,
        sums, sums,
      ]) :
      null;
  if (simd == null) {
    return null;
  }
  const {kernels, heap, starts} = simd;
  const [dyAt, xAt, invStdAt, gammaAt, dMeanAt, dInvStdAt, dxAt, dGammaAt, dBetaAt] = starts;
  const {dy, x, invStd, gamma, dMean, dInvStd} = inputs;
  [dy, x, invStd, gamma, dMean, dInvStd].forEach(
      (t, i) => heap.set(values(backend, t), starts[i]));
  kernels.backwardGroups(
      4 * dyAt, 4 * xAt, 4 * invStdAt, 4 * gammaAt, 4 * dMeanAt, 4 * dInvStdAt, 4 * dxAt,
      4 * dGammaAt, 4 * dBetaAt, 4 * starts[9], 4 * starts[10], groupCount, groupLength);
  return [
    heap.slice(dxAt, dxAt + size),
    heap.slice(dGammaAt, dGammaAt + paramSize),
    heap.slice(dBetaAt, dBetaAt + paramSize),
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
