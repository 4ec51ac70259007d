/**
 * The browser configurations the suite runs, each in a fresh headless
 * Chromium. Every one is expected in CI: one that cannot set up its backend
 * fails the run (never a skip).
 *
 * scripts: loaded in order into the page (paths from the project root):
 * TF.js's own UMD bundles, then ours.
 */
const TFJS = 'node_modules/@tensorflow/tfjs/dist/tf.min.js';
const TFJS_WEBGPU = 'node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js';
const LAYERNORM = 'dist/browser/tfjs-layernorm.umd.js';
const LAYERNORM_WEBGPU = 'dist/browser/tfjs-layernorm-webgpu.umd.js';

const webgl = (name, flags, extra = {}) => ({
  name, backend: 'webgl', webgpu: false, flags, tolerances: 'FLOAT32_TOLERANCES',
  expectKernels: true, scripts: [TFJS, LAYERNORM], ...extra,
});

const BROWSER_CONFIGS = [
  webgl('webgl2, packed', {WEBGL_VERSION: 2, WEBGL_PACK: true}),
  webgl('webgl2, unpacked', {WEBGL_VERSION: 2, WEBGL_PACK: false}),
  webgl('webgl1, packed', {WEBGL_VERSION: 1, WEBGL_PACK: true}),
  webgl('webgl1, unpacked', {WEBGL_VERSION: 1, WEBGL_PACK: false}),
  {
    name: 'webgpu', backend: 'webgpu', webgpu: true, flags: {},
    tolerances: 'FLOAT32_TOLERANCES', expectKernels: true,
    scripts: [TFJS, TFJS_WEBGPU, LAYERNORM, LAYERNORM_WEBGPU],
  },
];

module.exports = {BROWSER_CONFIGS};
