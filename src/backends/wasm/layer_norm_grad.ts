/**
 * Fused backward LayerNorm for the `wasm` backend, on the backend's heap: the
 * WebAssembly SIMD kernel for trailing axes, the cpu kernels' JS loops over
 * heap views otherwise. dGamma and dBeta accumulate in float64 across groups
 * and are rounded once; the group mean is recomputed in float64 (the saved
 * float32 one is off by up to |mean| * 2^-24).
 */
import * as tf from '@tensorflow/tfjs';
import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {layerNormGeometry} from '../../layer_norm_util';
import {backwardRows, GradArrays} from '../cpu/layer_norm_grad';
import {FLOAT64_BYTES, runOnHeap} from './heap';
import {simdKernels} from './simd_kernels';

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: BackendWasm,
  attrs: LayerNormGradAttrs
}): tf.TensorInfo[] {
  const {inputs, backend, attrs: {axis}} = args;
  const geometry = layerNormGeometry(inputs.x.shape, axis);
  const {outerSize, innerSize} = geometry;
  const dx = backend.makeOutput(inputs.x.shape, 'float32');
  const dGamma = backend.makeOutput(inputs.gamma.shape, 'float32');
  const dBeta = backend.makeOutput(inputs.gamma.shape, 'float32');
  const outputs = [dx, dGamma, dBeta];

  runOnHeap(backend, outputs, heap => {
    const dyAt = heap.float32Address(inputs.dy);
    const xAt = heap.float32Address(inputs.x);
    const invStdAt = heap.float32Address(inputs.invStd);
    const gammaAt = heap.float32Address(inputs.gamma);
    const dMeanAt = heap.float32Address(inputs.dMean);
    const dInvStdAt = heap.float32Address(inputs.dInvStd);
    const [dxAt, dGammaAt, dBetaAt] = outputs.map(t => heap.address(t));
    const kernels = simdKernels(backend);
    if (kernels != null && geometry.isTrailing) {
      const dGammaSumAt = heap.allocate(innerSize * FLOAT64_BYTES);
      const dBetaSumAt = heap.allocate(innerSize * FLOAT64_BYTES);
      kernels.backwardRows(
          dyAt, xAt, invStdAt, gammaAt, dMeanAt, dInvStdAt, dxAt, dGammaAt,
          dBetaAt, dGammaSumAt, dBetaSumAt, outerSize, innerSize);
      return;
    }
    const size = outerSize * innerSize;
    const a: GradArrays = {
      dy: heap.float32View(dyAt, size),
      x: heap.float32View(xAt, size),
      invStd: heap.float32View(invStdAt, outerSize),
      gamma: heap.float32View(gammaAt, innerSize),
      dMean: heap.float32View(dMeanAt, outerSize),
      dInvStd: heap.float32View(dInvStdAt, outerSize),
      dx: heap.float32View(dxAt, size),
      dGamma: new Float64Array(innerSize),
      dBeta: new Float64Array(innerSize),
    };
    backwardRows(geometry, a);
    heap.float32View(dGammaAt, innerSize).set(a.dGamma);
    heap.float32View(dBetaAt, innerSize).set(a.dBeta);
  });
  return outputs;
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'wasm',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
