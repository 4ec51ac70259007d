/**
 * Fused forward LayerNorm for the `wasm` backend, on the backend's heap: the
 * WebAssembly SIMD kernel (layer_norm_kernels.wat) for trailing axes, the cpu
 * kernels' JS loops over heap views for other layouts and wherever SIMD
 * cannot run. Both take the statistics from float64 sums (see the .wat for
 * the SIMD kernel's float32 elementwise pass) and meet the cpu tolerances.
 */
import * as tf from '@tensorflow/tfjs';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {layerNormGeometry, statsShape} from '../../layer_norm_util';
import {forwardRows} from '../cpu/layer_norm';
import {runOnHeap} from './heap';
import {simdKernels} from './simd_kernels';

export function layerNorm(args: {
  inputs: LayerNormInputs,
  backend: BackendWasm,
  attrs: LayerNormAttrs
}): tf.TensorInfo[] {
  const {inputs: {x, gamma, beta}, backend, attrs: {axis, epsilon}} = args;
  const geometry = layerNormGeometry(x.shape, axis);
  const {outerSize, innerSize} = geometry;
  const statShape = statsShape(x.shape, axis);
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput(statShape, 'float32');
  const invStd = backend.makeOutput(statShape, 'float32');
  const outputs = [y, mean, invStd];

  runOnHeap(backend, outputs, heap => {
    const xAt = heap.float32Address(x);
    const gammaAt = heap.float32Address(gamma);
    const betaAt = heap.float32Address(beta);
    const [yAt, meanAt, invStdAt] = outputs.map(t => heap.address(t));
    const kernels = simdKernels(backend);
    if (kernels != null && geometry.isTrailing) {
      kernels.forwardRows(
          xAt, gammaAt, betaAt, yAt, meanAt, invStdAt, outerSize, innerSize,
          epsilon);
      return;
    }
    const size = outerSize * innerSize;
    const xValues = heap.float32View(xAt, size);
    const gammaValues = heap.float32View(gammaAt, innerSize);
    const betaValues = heap.float32View(betaAt, innerSize);
    const yValues = heap.float32View(yAt, size);
    const meanValues = heap.float32View(meanAt, outerSize);
    const invStdValues = heap.float32View(invStdAt, outerSize);
    forwardRows(
        geometry, xValues, gammaValues, betaValues, yValues, meanValues,
        invStdValues, epsilon);
  });
  return outputs;
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'wasm',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
