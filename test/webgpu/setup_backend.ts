/**
 * jest setupFilesAfterEnv of the `webgpu` project: before each test file,
 * makes `webgpu` the active backend and checks that it really is, on a real
 * adapter, with this package's kernels registered. Any failure here fails
 * every test of the file: the GPU tests never skip.
 *
 * It also records the device's uncaptured errors (WGSL compile errors,
 * invalid bind groups...), which WebGPU reports as events, not exceptions:
 * the test during which one arrives fails, as does the file for late ones.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {LayerNormGradKernel, LayerNormKernel} from '../../src';
import '../../src/entries/webgpu';
import {requireAdapter} from './dawn';

const deviceErrors: string[] = [];

beforeAll(async () => {
  await requireAdapter(navigator.gpu);
  if (!(await tf.setBackend('webgpu')) || tf.getBackend() !== 'webgpu') {
    throw new Error(`webgpu tests: tf.setBackend('webgpu') failed; active backend is ${
        tf.getBackend()}`);
  }
  for (const kernel of [LayerNormKernel, LayerNormGradKernel]) {
    if (tf.getKernel(kernel, 'webgpu') == null) {
      throw new Error(`webgpu tests: kernel ${kernel} is not registered for webgpu`);
    }
  }
  const backend = tf.backend() as WebGPUBackend;
  backend.device.addEventListener('uncapturederror', event => {
    deviceErrors.push((event as GPUUncapturedErrorEvent).error.message);
  });
});

function checkDeviceErrors() {
  const errors = deviceErrors.splice(0);
  if (errors.length > 0) {
    throw new Error(`the WebGPU device reported ${errors.length} error(s); first:\n${
        errors[0]}`);
  }
}

afterEach(checkDeviceErrors);
afterAll(checkDeviceErrors);
