/** The `webgl` backend's kernels of this package. */
import * as tf from '@tensorflow/tfjs';

import {registerKernelsOnce} from '../../register';
import {layerNormConfig} from './layer_norm';
import {layerNormGradConfig} from './layer_norm_grad';
import {registerReduceFlags} from './reduce_gpu';

export const webglKernelConfigs: tf.KernelConfig[] =
    [layerNormConfig, layerNormGradConfig];

export function registerWebglKernels(): void {
  registerReduceFlags();
  registerKernelsOnce(webglKernelConfigs);
}
