import * as tf from '@tensorflow/tfjs';

/** Priority below cpu's (1): automatic backend selection never tries it. */
const PLACEHOLDER_PRIORITY = -1;

/**
 * What works in Node (the README's recipe; test/node/first_contact.test.ts
 * runs these lines as printed). Dawn's `globals` supply GPUBufferUsage and
 * the other constants the backend reads; Node 21+ defines a getter-only
 * `navigator`, hence defineProperty; static imports would load the backend
 * before navigator.gpu exists, hence the dynamic ones.
 */
const NODE_RECIPE = `in an ES module (.mjs, or "type": "module"):

import {create, globals} from 'webgpu';
Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', {value: {gpu: create([])}, configurable: true});
const tf = await import('@tensorflow/tfjs');
await import('tfjs-layernorm/webgpu');
const {layerNorm} = await import('tfjs-layernorm');
await tf.setBackend('webgpu');

Without a GPU, Dawn needs a software Vulkan driver such as SwiftShader, named by ` +
    'VK_ICD_FILENAMES before Node starts (see the README)';

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
  const why = hasGpu ?
      '(navigator.gpu exists, but this release of @tensorflow/tfjs-backend-webgpu ' +
          'registers its backend only where `window` exists; use 4.22 or later).' :
      '(navigator.gpu was undefined when @tensorflow/tfjs-backend-webgpu was ' +
          'imported). In a browser, use one with WebGPU enabled. In Node, ' +
          `install npm 'webgpu' (Dawn) and load TF.js after it, ${NODE_RECIPE}.`;
  tf.registerBackend('webgpu', () => {
    throw new Error(`tfjs-layernorm/webgpu: WebGPU is not available here ${why}`);
  }, PLACEHOLDER_PRIORITY);
}
