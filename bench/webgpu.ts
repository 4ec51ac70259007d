/**
 * `npm run bench webgpu`: the fused webgpu kernels vs the built-in
 * tf.layers.layerNormalization on the same adapter, in Node (npm `webgpu`,
 * i.e. Dawn, over the SwiftShader Vulkan driver that scripts/bench.js puts
 * in this process's environment).
 *
 * Sync: each timed call ends when the GPU has finished all the work it
 * queued (TF.js's pending commands submitted, then the queue's
 * onSubmittedWorkDone), without reading the outputs back. A read-back costs
 * both contenders the same copy of a full-size tensor and would only dilute
 * the ratio between them.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {benchBackend} from './common';

/** Makes navigator.gpu exist before the backend package looks for it. */
function installNavigatorGpu() {
  // tslint:disable-next-line:no-require-imports
  const {create, globals} = require('webgpu');
  Object.assign(globalThis, globals);
  (globalThis as {navigator?: object}).navigator = {gpu: create([])};
}

/** The adapter TF.js gets (it asks for high-performance), named in full. */
async function describeAdapter(): Promise<string> {
  const adapter = await navigator.gpu.requestAdapter({powerPreference: 'high-performance'});
  // `info` is newer than this project's @webgpu/types.
  const info = (adapter as unknown as {info?: Record<string, string>})?.info ?? {};
  return ['vendor', 'architecture', 'device', 'description']
      .map(key => info[key]).filter(Boolean).join(' ');
}

async function waitForGpu(backend: WebGPUBackend): Promise<void> {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  await backend.device.queue.onSubmittedWorkDone();
}

async function main() {
  installNavigatorGpu();
  require('@tensorflow/tfjs-backend-webgpu');
  require('../src/entries/webgpu');
  if (!(await tf.setBackend('webgpu')) || tf.getBackend() !== 'webgpu') {
    throw new Error(
        'bench webgpu: no WebGPU adapter (VK_ICD_FILENAMES=' +
        `${process.env.VK_ICD_FILENAMES}); run it through npm run bench webgpu`);
  }
  const backend = tf.backend() as WebGPUBackend;
  const adapter = await describeAdapter();
  await benchBackend(`webgpu backend (Node, Dawn on adapter: ${adapter}; ` +
                     'sync: queue.onSubmittedWorkDone, no read-back)',
                     {sync: () => waitForGpu(backend)});
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
