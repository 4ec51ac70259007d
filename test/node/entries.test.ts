/**
 * The subpath entries' user-facing edges: /webgpu where no navigator.gpu
 * exists, and the wasm helper given something other than the wasm backend.
 */
import * as tf from '@tensorflow/tfjs';
import {spawnSync} from 'child_process';
import * as path from 'path';

import {explainMissingWebGPU} from '../../src/backends/webgpu/webgpu_unavailable';
import '../../src/entries/webgpu';
import {wasmKernelsInUse} from '../../src/entries/wasm';

describe('entries', () => {
  it('/webgpu without navigator.gpu: setBackend(\'webgpu\') fails and says why', () => {
    // A fresh Node process: other suites of this jest run may have put Dawn on navigator.gpu.
    const script = `
      import * as tf from '@tensorflow/tfjs';
      import './src/entries/webgpu';
      const warnings = [];
      console.warn = (...args) => warnings.push(String(args[0]));
      const hadGpu = globalThis.navigator?.gpu !== undefined;
      const started = await tf.setBackend('webgpu');
      await tf.setBackend('cpu');
      console.log(JSON.stringify({hadGpu, started, backend: tf.getBackend(), warnings: warnings.join('\\n')}));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
                        {cwd: path.resolve(__dirname, '../..'), encoding: 'utf8'});
    if (r.status !== 0) throw new Error(`the child process failed (${r.status}):\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out).toMatchObject({hadGpu: false, started: false, backend: 'cpu'});
    expect(out.warnings).toMatch(/WebGPU is not available here \(navigator\.gpu was undefined/);
    expect(out.warnings).toMatch(/npm 'webgpu' \(Dawn\)/);
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
