/**
 * The browser configurations the suite runs, each in a fresh headless
 * Chromium. Every one is expected in CI: one that cannot set up its backend
 * fails the run (never a skip).
 *
 * scripts: loaded in order into the page (paths from the project root):
 * TF.js's own UMD bundles, then ours. Every case is also run on the page's
 * cpu backend and the two must agree (crossCheckBackend, default 'cpu').
 */
const TFJS = 'node_modules/@tensorflow/tfjs/dist/tf.min.js';
const TFJS_WEBGPU = 'node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js';
const LAYERNORM = 'dist/browser/tfjs-layernorm.umd.js';
const LAYERNORM_WEBGPU = 'dist/browser/tfjs-layernorm-webgpu.umd.js';
const TFJS_WASM = 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js';
const LAYERNORM_WASM = 'dist/browser/tfjs-layernorm-wasm.umd.js';

/** Tolerance sets of test/conformance/frameworks.ts for the framework fixtures. */
const FLOAT32 = 'FRAMEWORK_FLOAT32_TOLERANCES';

const webgl = (name, flags, extra = {}) => ({
  name, backend: 'webgl', webgpu: false, flags, tolerances: 'WEBGL_TOLERANCES',
  expectKernels: true, scripts: [TFJS, LAYERNORM], ...extra,
});

const BROWSER_CONFIGS = [
  webgl('webgl2, packed', {WEBGL_VERSION: 2, WEBGL_PACK: true}, {frameworkTolerances: FLOAT32}),
  webgl('webgl2, unpacked', {WEBGL_VERSION: 2, WEBGL_PACK: false}),
  webgl('webgl1, packed', {WEBGL_VERSION: 1, WEBGL_PACK: true}),
  webgl('webgl1, unpacked', {WEBGL_VERSION: 1, WEBGL_PACK: false}, {frameworkTolerances: FLOAT32}),
  // Tensors longer than the maximum texture side: TF.js honours a smaller
  // WEBGL_MAX_TEXTURE_SIZE, so rows of 768 and 4097 already wrap over
  // several texture rows (squarish textures) without huge tensors.
  webgl('webgl2, max texture size 128', {WEBGL_VERSION: 2, WEBGL_PACK: true, WEBGL_MAX_TEXTURE_SIZE: 128}),
  // Reductions of at most 3 values per fragment: every row and column
  // reduction of every case goes through the chunked, multi-level path that
  // the default (1024) keeps for rows and columns longer than the cases'.
  webgl('webgl1, multi-pass reductions', {WEBGL_VERSION: 1, WEBGL_PACK: false, LAYERNORM_WEBGL_MAX_VALUES_PER_FRAGMENT: 3}),
  webgl('webgl2, f16 textures', {WEBGL_VERSION: 2, WEBGL_PACK: true, WEBGL_FORCE_F16_TEXTURES: true}, {
    tolerances: 'F16_TEXTURE_TOLERANCES',
    excludeData: {
      nonFinite: 'TF.js stores Infinity as NaN in f16 textures (in every op, e.g. tf.add(x, 0))',
      largeMean: '1e4 + N(0, 1) rounds to multiples of 8 in f16: the rows turn (near-)constant, ' +
          'where the finite-difference step 1e-6 * |x| = 0.01 is no longer small',
    },
    excludeCases: Object.fromEntries([
      'constant rows, epsilon 0 (0/0: y NaN, invStd Infinity)', 'constant rows, epsilon 0, NCHW axis 1',
      'constant rows, epsilon 0, length 768', 'constant rows, epsilon float32\'s smallest normal',
    ].map(name => [name, 'invStd (Infinity, 9.2e18) is beyond the f16 maximum 65504 and TF.js ' +
                         'stores Infinity as NaN in f16 textures'])),
  }),
  {
    name: 'webgpu', backend: 'webgpu', webgpu: true, flags: {},
    tolerances: 'WEBGPU_TOLERANCES', expectKernels: true, frameworkTolerances: FLOAT32,
    scripts: [TFJS, TFJS_WEBGPU, LAYERNORM, LAYERNORM_WEBGPU],
  },
  // TF.js's wasm backend fetches its .wasm next to tf-backend-wasm.min.js,
  // from the same local server; our SIMD kernels run on its heap.
  {
    name: 'wasm', backend: 'wasm', webgpu: false, flags: {},
    tolerances: 'CPU_TOLERANCES', expectKernels: true, frameworkTolerances: 'FRAMEWORK_TOLERANCES',
    scripts: [TFJS, TFJS_WASM, LAYERNORM, LAYERNORM_WASM],
  },
];

module.exports = {BROWSER_CONFIGS};
