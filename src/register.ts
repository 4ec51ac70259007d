import * as tf from '@tensorflow/tfjs';

/**
 * Registers each config unless a kernel of that name is already there for
 * that backend (the package loaded twice, e.g. as CommonJS and as ESM), so
 * TF.js prints no "already registered" warnings.
 */
export function registerKernelsOnce(configs: readonly tf.KernelConfig[]): void {
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, config.backendName) == null) {
      tf.registerKernel(config);
    }
  }
}
