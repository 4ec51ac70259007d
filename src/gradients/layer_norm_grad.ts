/**
 * Gradient of `LayerNormKernel`: one call of the fused backward kernel gives
 * dx, dGamma and dBeta together (the composite backward where the active
 * backend registers a forward kernel but no backward one).
 */
import * as tf from '@tensorflow/tfjs';

import {layerNormGradComposite} from '../ops/layer_norm_composite';
import {LayerNormAttrs, LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel, LayerNormKernel} from '../kernel_names';

export const layerNormGradConfig: tf.GradConfig = {
  kernelName: LayerNormKernel,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, false, true],
  gradFunc: (dys: tf.Tensor|tf.Tensor[], saved: tf.Tensor[],
             attrs: tf.NamedAttrMap) => {
    // The engine hands one dy per output: zeros for an output the loss does
    // not use, so dMean and dInvStd are always tensors.
    const [dy, dMean, dInvStd] = dys as tf.Tensor[];
    const [x, gamma, invStd] = saved;
    const {axis, featureAxes} = attrs as unknown as LayerNormAttrs;
    const inputs: LayerNormGradInputs = {dy, x, invStd, gamma, dMean, dInvStd};
    const gradAttrs: LayerNormGradAttrs = {axis, featureAxes};
    // Run once, eagerly: the engine calls each closure in its own tidy, so a
    // lazy call would lose the two outputs the first closure does not return.
    const [dx, dGamma, dBeta] =
        tf.getKernel(LayerNormGradKernel, tf.getBackend()) != null ?
        tf.engine().runKernel(
            LayerNormGradKernel, inputs as unknown as tf.NamedTensorMap,
            gradAttrs as unknown as tf.NamedAttrMap) as tf.Tensor[] :
        layerNormGradComposite(dy, x, invStd, gamma, dMean, dInvStd, axis, featureAxes);
    return {x: () => dx, gamma: () => dGamma, beta: () => dBeta};
  }
};
