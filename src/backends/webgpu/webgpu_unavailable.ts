import * as tf from '@tensorflow/tfjs';

/** Priority below cpu's (1): automatic backend selection never tries it. */
const PLACEHOLDER_PRIORITY = -1;

/**
 * Where `@tensorflow/tfjs-backend-webgpu` found no `navigator.gpu` at import
 * and so registered nothing, registers a 'webgpu' factory that fails with the
 * reason, which `tf.setBackend('webgpu')` then prints (instead of "Backend
 * name 'webgpu' not found in registry" later).
 */
export function explainMissingWebGPU(): void {
  if (tf.findBackendFactory('webgpu') != null) {
    return;
  }
  tf.registerBackend('webgpu', () => {
    throw new Error(
        'tfjs-layernorm/webgpu: WebGPU is not available here (navigator.gpu ' +
        'was undefined when @tensorflow/tfjs-backend-webgpu was imported). In a ' +
        'browser, use one with WebGPU enabled; in Node, set ' +
        "globalThis.navigator = {gpu: create([])} from npm 'webgpu' (Dawn) " +
        "before importing 'tfjs-layernorm/webgpu'.");
  }, PLACEHOLDER_PRIORITY);
}
