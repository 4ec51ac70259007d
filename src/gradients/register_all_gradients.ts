import * as tf from '@tensorflow/tfjs';

import {layerNormGradConfig} from './layer_norm_grad';

/** Registers the gradient of the forward kernel, once. */
export function registerGradients(): void {
  if (tf.getGradient(layerNormGradConfig.kernelName) == null) {
    tf.registerGradient(layerNormGradConfig);
  }
}
