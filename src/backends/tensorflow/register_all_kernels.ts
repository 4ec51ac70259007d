/** The `tensorflow` (tfjs-node) backend's kernels of this package. */
import * as tf from '@tensorflow/tfjs';

import {registerKernelsOnce} from '../../register';
import {layerNormConfig} from './layer_norm';
import {layerNormGradConfig} from './layer_norm_grad';

export const tensorflowKernelConfigs: tf.KernelConfig[] = [layerNormConfig, layerNormGradConfig];

export function registerTensorflowKernels(): void {
  registerKernelsOnce(tensorflowKernelConfigs);
}
