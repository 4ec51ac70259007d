/**
 * Fused forward LayerNorm for the `wasm` backend, on the backend's heap: the
 * SIMD kernel (layer_norm_kernels.wat) for contiguous groups with one gamma
 * entry per column, the shared JS loops over heap views otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {statsShape} from '../../layer_norm_util';
import {checkForwardKernel} from '../shared/kernel_inputs';
import {forwardGroups} from '../shared/layer_norm_impl';
import {forwardStrided, stridedPlan, planBytes, writePlan} from '../shared/strided_simd';
import {runOnHeap} from './heap';
import {simdKernels, stridedKernels} from './simd_kernels';

export function layerNorm(args: {
  inputs: LayerNormInputs,
  backend: BackendWasm,
  attrs: LayerNormAttrs
}): tf.TensorInfo[] {
  const {inputs: {x, gamma, beta}, backend, attrs} = args;
  const {layout} = checkForwardKernel('wasm', args.inputs, attrs);
  const {groupCount, groupLength, paramSize} = layout;
  const statShape = statsShape(x.shape, attrs.axis);
  const outputs = [
    backend.makeOutput(x.shape, 'float32'),
    backend.makeOutput(statShape, 'float32'),
    backend.makeOutput(statShape, 'float32'),
  ];

  runOnHeap(backend, outputs, heap => {
    const xAt = heap.float32Address(x);
    const gammaAt = heap.float32Address(gamma);
    const betaAt = heap.float32Address(beta);
    const [yAt, meanAt, invStdAt] = outputs.map(t => heap.address(t));
    const kernels = simdKernels(backend);
    if (kernels != null && layout.contiguous && layout.paramsPerColumn) {
      kernels.forwardGroups(
          xAt, gammaAt, betaAt, yAt, meanAt, invStdAt, groupCount, groupLength, attrs.epsilon);
      return;
    }
    const strided = stridedKernels(backend);
    const plan = strided && stridedPlan(layout);
    if (strided != null && plan != null) {
      const planAt = heap.allocate(planBytes(plan));
      const memory = writePlan(plan, heap.float32View(0, 0).buffer, planAt);
      forwardStrided(strided, plan, memory, groupCount, {
        x: xAt, gamma: gammaAt, beta: betaAt, y: yAt, mean: meanAt, invStd: invStdAt,
      }, attrs.epsilon);
      return;
    }
    const size = groupCount * groupLength;
    forwardGroups(
        layout, heap.float32View(xAt, size), heap.float32View(gammaAt, paramSize),
        heap.float32View(betaAt, paramSize), heap.float32View(yAt, size),
        heap.float32View(meanAt, groupCount), heap.float32View(invStdAt, groupCount),
        attrs.epsilon);
  });
  return outputs;
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'wasm',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
