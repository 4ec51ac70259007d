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
  const hasGpu = (globalThis as {navigator?: {gpu?: unknown}}).navigator?.gpu != null;
  // Releases before 4.13 register the backend only where `window` exists.
  const reason = hasGpu ?
      'navigator.gpu exists, but this release of @tensorflow/tfjs-backend-webgpu ' +
          'registers its backend only where `window` exists; use 4.22 or later' :
      'navigator.gpu was undefined when @tensorflow/tfjs-backend-webgpu was ' +
          'imported. In a browser, use one with WebGPU enabled; in Node, set ' +
          "globalThis.navigator = {gpu: create([])} from npm 'webgpu' (Dawn) " +
          "before importing 'tfjs-layernorm/webgpu'";
  tf.registerBackend('webgpu', () => {
    throw new Error(`tfjs-layernorm/webgpu: WebGPU is not available here (${reason}).`);
  }, PLACEHOLDER_PRIORITY);
}
