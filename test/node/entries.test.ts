/**
 * The subpath entries' user-facing edges: /webgpu where no navigator.gpu
 * exists, and the wasm helper given something other than the wasm backend.
 */
import * as tf from '@tensorflow/tfjs';

import {explainMissingWebGPU} from '../../src/backends/webgpu/webgpu_unavailable';
import '../../src/entries/webgpu';
import {wasmKernelsInUse} from '../../src/entries/wasm';

describe('entries', () => {
  it('/webgpu without navigator.gpu: setBackend(\'webgpu\') fails and says why', async () => {
    expect((globalThis as {navigator?: {gpu?: unknown}}).navigator?.gpu).toBeUndefined();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(await tf.setBackend('webgpu')).toBe(false);
      const printed = warn.mock.calls.map(c => String(c[0])).join('\n');
      expect(printed).toMatch(/WebGPU is not available here \(navigator\.gpu was undefined/);
      expect(printed).toMatch(/npm 'webgpu' \(Dawn\)/);
    } finally {
      warn.mockRestore();
    }
    await tf.setBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('/webgpu where navigator.gpu exists but the backend did not register (releases before 4.13, in Node)', async () => {
    const g = globalThis as {navigator?: unknown};
    const before = Object.getOwnPropertyDescriptor(g, 'navigator');
    Object.defineProperty(g, 'navigator', {value: {gpu: {}}, configurable: true});
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      tf.removeBackend('webgpu');
      explainMissingWebGPU();
      expect(await tf.setBackend('webgpu')).toBe(false);
      expect(warn.mock.calls.map(c => String(c[0])).join('\n'))
          .toMatch(/registers its backend only where `window` exists; use 4\.22 or later/);
    } finally {
      warn.mockRestore();
      if (before) Object.defineProperty(g, 'navigator', before); else delete g.navigator;
      tf.removeBackend('webgpu');
      explainMissingWebGPU();
      await tf.setBackend('cpu');
    }
  });

  it('/webgpu\'s placeholder is never chosen automatically', () => {
    expect(tf.engine().registryFactory['webgpu'].priority).toBeLessThan(
        tf.engine().registryFactory['cpu'].priority);
  });

  it('wasmKernelsInUse names its argument when given another backend', async () => {
    await tf.setBackend('cpu');
    expect(() => wasmKernelsInUse(tf.backend())).toThrow(
        /wasmKernelsInUse: backend must be the wasm backend .*got MathBackendCPU/);
  });
});
