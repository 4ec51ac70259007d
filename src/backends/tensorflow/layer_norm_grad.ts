/**
 * Fused backward for the `tensorflow` backend (formula of kernel_names.ts), routes as in layer_norm.ts.
 * xhat comes from x again: (x - mean(x)) * invStd where the stats pass the host check, else x
 * shifted by each group's first element and re-centred (a float32 mean is off by up to |mean| * 2^-24). 'checked' skips the dMean/dInvStd terms when both are zero (one value per group).
 */
import * as tf from '@tensorflow/tfjs';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {layerNormGradComposite} from '../../ops/layer_norm_composite';
import {checkedStatsHold, layoutOf, scaledCentering, tensorflowKernelRoute} from './layer_norm';
import {allZero, FoldedLayout, NativeOps, TensorflowBackend} from './native_ops_impl';

function xhatOf(ops: NativeOps, x: tf.TensorInfo, invStd: tf.TensorInfo, layout: FoldedLayout,
                checked: boolean): tf.TensorInfo {
  if (checked) {
    const mean = ops.mean(x, layout.axes);
    if (checkedStatsHold(mean, null, invStd)) {
      return ops.mul(ops.sub(x, mean), invStd);
    }
  }
  // xhat = 2 scale (s - mean(s)) invStd: nothing overflows float32 (layer_norm.ts).
  const {scale, centered} = scaledCentering(ops, x, layout, 0);
  return ops.mul(centered, ops.mul(ops.mul(scale, invStd), ops.scalar(2)));
}

/** dGamma and dBeta: sums of dy * xhat and dy over the non-feature axes. */
function paramGrads(ops: NativeOps, dy: tf.TensorInfo, xhat: tf.TensorInfo, layout: FoldedLayout,
                    useBatchNorm: boolean): tf.TensorInfo[] {
  if (useBatchNorm && layout.rowsWithColumnParams) {
    // FusedBatchNormGradV3 (inference, NHWC, mean 0, variance 1): its scale
    // and offset gradients are exactly these column sums.
    const {groupCount: g, groupLength: n} = layout;
    const [, dGamma, dBeta] = ops.fusedBatchNormGrad(
        ops.reshape(dy, [1, 1, g, n]), ops.reshape(xhat, [1, 1, g, n]), tf.ones([n]), tf.zeros([n]),
        tf.ones([n]), tf.zeros([0]), 0, 'NHWC', false);
    return [dGamma, dBeta];
  }
  return [ops.sum(ops.mul(dy, xhat), layout.nonFeatureAxes, false), ops.sum(dy, layout.nonFeatureAxes, false)];
}

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: TensorflowBackend,
  attrs: LayerNormGradAttrs & {featureAxes?: number[]},
}): tf.TensorInfo[] {
  const {inputs, backend, attrs} = args;
  const route = tensorflowKernelRoute();
  const checked = route === 'checked';
  return tf.tidy(() => {
    const ops = new NativeOps(backend);
    const f = (t: tf.TensorInfo) => ops.toFloat(t) as tf.Tensor;  // kernel inputs are Tensors
    if (tf.util.sizeFromShape(inputs.x.shape) === 0) {
      return layerNormGradComposite(f(inputs.dy), f(inputs.x), f(inputs.invStd), f(inputs.gamma),
                                    f(inputs.dMean), f(inputs.dInvStd), attrs.axis,
                                    attrs.featureAxes ?? attrs.axis);
    }
    const layout = layoutOf(inputs.x.shape, attrs);
    const {shape, statsShape, axes, groupLength: n} = layout;
    const dy = ops.reshape(f(inputs.dy), shape), x = ops.reshape(f(inputs.x), shape);
    const invStd = ops.reshape(f(inputs.invStd), statsShape);
    const xhat = xhatOf(ops, x, invStd, layout, checked);
    const g = ops.mul(dy, ops.reshape(f(inputs.gamma), layout.paramShape));
    let dx: tf.TensorInfo;
    if (route === 'fusedBatchNorm' && layout.rowsWithColumnParams) {
      // FusedBatchNormGradV3 (training, NCHW [1, groups, n, 1]) on xhat itself: scale 1, mean 0, variance 1.
      const [dx4] = ops.fusedBatchNormGrad(
          ops.reshape(g, [1, layout.groupCount, n, 1]), ops.reshape(xhat, [1, layout.groupCount, n, 1]),
          tf.ones([layout.groupCount]), tf.zeros([layout.groupCount]), tf.ones([layout.groupCount]),
          tf.zeros([0]), 0, 'NCHW', true);
      dx = ops.mul(ops.reshape(dx4, shape), invStd);
    } else {
      const meanG = ops.mean(g, axes);
      const meanGXhat = ops.mean(ops.mul(g, xhat), axes);
      dx = ops.mul(ops.sub(ops.sub(g, meanG), ops.mul(xhat, meanGXhat)), invStd);
    }
    if (!checked || !allZero(inputs.dMean) || !allZero(inputs.dInvStd)) {
      const dMean = ops.reshape(f(inputs.dMean), statsShape);
      const dInvStd = ops.reshape(f(inputs.dInvStd), statsShape);
      const invStdCoefficient = ops.mul(dInvStd, ops.mul(ops.square(invStd), ops.scalar(-1 / n)));
      dx = ops.add(ops.add(dx, ops.mul(dMean, ops.scalar(1 / n))), ops.mul(xhat, invStdCoefficient));
    }
    const [dGamma, dBeta] = paramGrads(ops, dy, xhat, layout, checked);
    const gammaShape = inputs.gamma.shape;
    return [ops.reshape(dx, inputs.x.shape), ops.reshape(dGamma, gammaShape), ops.reshape(dBeta, gammaShape)] as
        tf.Tensor[];  // all made here (never an input), so Tensors
  });
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'tensorflow',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
