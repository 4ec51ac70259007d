/**
 * Fused backward LayerNorm for the `wasm` backend, on the backend's heap: the
 * SIMD kernel where the forward uses it, the shared JS loops otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {checkBackwardKernel} from '../shared/kernel_inputs';
import {backwardGroups, GradArrays} from '../shared/layer_norm_grad_impl';
import {PARAM_SUMS_BYTES_PER_COLUMN} from '../shared/simd_module';
import {backwardStrided, planBytes, stridedBackwardTakes, stridedPlan, writePlan} from '../shared/strided_simd';
import {FLOAT64_BYTES, runOnHeap} from './heap';
import {simdKernels, stridedKernels} from './simd_kernels';

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: BackendWasm,
  attrs: LayerNormGradAttrs
}): tf.TensorInfo[] {
  const {inputs, backend} = args;
  const layout = checkBackwardKernel('wasm', inputs, args.attrs);
  const {groupCount, groupLength, paramSize} = layout;
  const outputs = [
    backend.makeOutput(inputs.x.shape, 'float32'),
    backend.makeOutput(inputs.gamma.shape, 'float32'),
    backend.makeOutput(inputs.gamma.shape, 'float32'),
  ];

  runOnHeap(backend, outputs, heap => {
    const dyAt = heap.float32Address(inputs.dy);
    const xAt = heap.float32Address(inputs.x);
    const invStdAt = heap.float32Address(inputs.invStd);
    const gammaAt = heap.float32Address(inputs.gamma);
    const dMeanAt = heap.float32Address(inputs.dMean);
    const dInvStdAt = heap.float32Address(inputs.dInvStd);
    const [dxAt, dGammaAt, dBetaAt] = outputs.map(t => heap.address(t));
    const kernels = simdKernels(backend);
    if (kernels != null && layout.contiguous && layout.paramsPerColumn) {
      const paramSumsAt = heap.allocate(groupLength * PARAM_SUMS_BYTES_PER_COLUMN);
      const sums = heap.float64View(paramSumsAt, 2 * groupLength);
      sums.fill(0);
      kernels.backwardGroups(
          dyAt, xAt, invStdAt, gammaAt, dMeanAt, dInvStdAt, dxAt, paramSumsAt, groupCount,
          groupLength);
      heap.float32View(dGammaAt, groupLength).set(sums.subarray(0, groupLength));
      heap.float32View(dBetaAt, groupLength).set(sums.subarray(groupLength));
      return;
    }
    const strided = stridedKernels(backend);
    const plan = strided && stridedBackwardTakes(heap.float32View(invStdAt, groupCount)) ?
        stridedPlan(layout) : null;
    if (strided != null && plan != null) {
      const dGammaSum = heap.allocate(groupLength * FLOAT64_BYTES);
      const dBetaSum = heap.allocate(groupLength * FLOAT64_BYTES);
      const planAt = heap.allocate(planBytes(plan));
      const memory = writePlan(plan, heap.float32View(0, 0).buffer, planAt);
      backwardStrided(strided, plan, memory, groupCount, {
        dy: dyAt, x: xAt, invStd: invStdAt, gamma: gammaAt, dMean: dMeanAt, dInvStd: dInvStdAt,
        dx: dxAt, dGamma: dGammaAt, dBeta: dBetaAt, dGammaSum, dBetaSum,
      });
      return;
    }
    const size = groupCount * groupLength;
    const a: GradArrays = {
      dy: heap.float32View(dyAt, size),
      x: heap.float32View(xAt, size),
      invStd: heap.float32View(invStdAt, groupCount),
      gamma: heap.float32View(gammaAt, paramSize),
      dMean: heap.float32View(dMeanAt, groupCount),
      dInvStd: heap.float32View(dInvStdAt, groupCount),
      dx: heap.float32View(dxAt, size),
      dGamma: new Float64Array(paramSize),
      dBeta: new Float64Array(paramSize),
    };
    backwardGroups(layout, a);
    heap.float32View(dGammaAt, paramSize).set(a.dGamma);
    heap.float32View(dBetaAt, paramSize).set(a.dBeta);
  });
  return outputs;
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'wasm',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
