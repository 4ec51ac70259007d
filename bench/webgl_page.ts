/**
 * The page side of `npm run bench webgl` (bench/webgl.ts bundles it): runs
 * bench/common.ts's `benchBackend` on TF.js's webgl backend in Chromium.
 * `@tensorflow/*` imports are the page's global `tf` (tf.min.js); this
 * package is bundled from source, so its webgl kernels are registered.
 */
import * as tf from '@tensorflow/tfjs';

import {benchBackend, formatReport} from './common';
import type {ShapeResult} from './results';

export interface WebglBenchPage {
  runWebglBench(shapes?: number[][]): Promise<{report: string, results: ShapeResult[]}>;
}

/**
 * Waits until the GPU has run every program behind `outputs` without
 * reading them back: one element of each is summed into a scalar (a few
 * one-texel programs) and read with dataSync, whose readPixels blocks until
 * all queued work is done. A full read-back would cost both contenders the
 * same multi-megabyte download and only dilute the ratio between them.
 */
async function waitForOutputs(outputs: tf.Tensor[]): Promise<void> {
  const probe = tf.tidy(() => tf.addN(outputs.map(
      o => tf.reshape(tf.slice(o, o.shape.map(() => 0), o.shape.map(() => 1)), [1]))));
  probe.dataSync();
  probe.dispose();
}

function describeContext(): string {
  // tslint:disable-next-line:no-any
  const gl = (tf.backend() as any).gpgpu.gl as WebGL2RenderingContext;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  return `WebGL ${tf.env().getNumber('WEBGL_VERSION')} on ${renderer}; ` +
      `WEBGL_PACK ${tf.env().getBool('WEBGL_PACK') ? 'on' : 'off'}`;
}

(globalThis as unknown as WebglBenchPage).runWebglBench = async (shapes?: number[][]) => {
  if (!(await tf.setBackend('webgl')) || tf.getBackend() !== 'webgl') {
    throw new Error('bench webgl: this Chromium has no WebGL (setBackend failed)');
  }
  if (tf.env().getNumber('WEBGL_VERSION') !== 2 || !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')) {
    throw new Error(`bench webgl: expected WebGL 2 with float32 render targets; got ${describeContext()}`);
  }
  const label = `webgl backend (headless Chromium, ${describeContext()}; ` +
      'sync: dataSync of one element per output, no read-back)';
  const results = await benchBackend(label, {sync: waitForOutputs, shapes});
  return {report: formatReport(label, results), results};
};
