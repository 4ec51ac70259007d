/**
 * The one list of conformance cases every backend runs (cpu, composite,
 * wasm, webgpu in Node, webgl and webgpu in Chromium).
 */

export type DataKind =
    /** N(0, 1) * 2 + 0.5 */
    'normal'|
    /** 1e4 + N(0, 1): the large-mean, small-spread rows of the classic bug */
    'largeMean'|
    /** every group constant: y must be exactly beta, gradients finite */
    'constantRows'|
    /** group 0 holds a NaN, group 1 an Infinity: only those groups go non-finite */
    'nonFinite'|
    /**
     * integers N(1000, 400) clamped to [-2048, 2048], exact in half floats:
     * row sums (~4e6), sums of squares and the variance (~1.6e5) all exceed
     * the f16 maximum 65504, so a kernel that stores any of them in a
     * half-float texture overflows
     */
    'wideIntegers'|
    /**
     * N(0, 1) with each group's first element at +5: a shift by the first
     * element sits far from the mean (one-pass float32 sums would cancel)
     */
    'firstOutliers';

export interface ConformanceCase {
  name: string;
  shape: number[];
  axis: number|number[];
  gamma: boolean;
  beta: boolean;
  epsilon: number;
  data: DataKind;
  /**
   * Also differentiate through mean and invStd (layerNormWithStats); 'only':
   * a loss on mean and invStd alone (dGamma and dBeta are then zeros).
   */
  statsGrad?: boolean|'only';
  /** Axes gamma and beta span (default: axis). */
  featureAxes?: number|number[];
}

function c(
    name: string, shape: number[], axis: number|number[],
    more: Partial<ConformanceCase> = {}): ConformanceCase {
  return {
    name, shape, axis, gamma: true, beta: true, epsilon: 1e-5, data: 'normal',
    ...more
  };
}

export const CONFORMANCE_CASES: ConformanceCase[] = [
  c('rank 1, row length 7', [7], -1),
  c('rank 1, row length 1', [1], 0),
  c('rank 2, row length 3, no gamma/beta', [5, 3], -1, {gamma: false, beta: false}),
  c('rank 2, row length 4, gamma only, eps 1e-3', [6, 4], 1, {beta: false, epsilon: 1e-3}),
  c('rank 2, row length 768', [3, 768], -1),
  c('rank 2, row length 4097', [2, 4097], -1),
  c('rank 2, leading axis [0], beta only', [4, 5], [0], {gamma: false}),
  c('rank 2, all axes [-2, -1]', [4, 5], [-2, -1]),
  c('rank 2, eps 0.1', [5, 4], -1, {epsilon: 0.1}),
  c('rank 3, non-contiguous axes [0, 2]', [2, 3, 7], [0, 2]),
  c('rank 3, last axis, stats gradient', [8, 16, 32], -1, {statsGrad: true}),
  c('rank 3, axes [0, 2], stats gradient', [2, 3, 4], [0, 2], {statsGrad: true}),
  c('rank 4, NCHW channel axis 1 (MXNet)', [2, 3, 4, 5], 1),
  c('rank 4, NCHW channel axis 1, no gamma/beta', [2, 3, 4, 5], 1, {gamma: false, beta: false}),
  c('rank 4, axes [1, 2, 3] (PyTorch normalized_shape)', [2, 3, 4, 5], [1, 2, 3]),
  c('rank 4, axes [-3, -1]', [2, 3, 4, 5], [-3, -1]),
  c('rank 5, axes [1, 3]', [2, 3, 2, 3, 4], [1, 3]),
  c('rank 6, axes [2, 4, 5]', [2, 1, 3, 2, 2, 3], [2, 4, 5]),
  c('rank 6, axes [0, 5], stats gradient', [2, 2, 2, 2, 2, 3], [0, 5], {statsGrad: true}),
  c('large mean rows, length 768', [4, 768], -1, {data: 'largeMean'}),
  c('large mean rows, NCHW axis 1', [2, 8, 3, 3], 1, {data: 'largeMean'}),
  c('large mean rows, length 7', [3, 7], -1, {data: 'largeMean', statsGrad: true}),
  c('first element an outlier, length 768', [4, 768], -1, {data: 'firstOutliers'}),
  c('first element an outlier, length 19', [3, 19], -1, {data: 'firstOutliers', statsGrad: true}),
  c('first element an outlier, NCHW axis 1', [2, 8, 3, 3], 1, {data: 'firstOutliers'}),
  c('constant rows, length 7', [4, 7], -1, {data: 'constantRows'}),
  c('constant rows, NCHW axis 1', [2, 4, 3, 3], 1, {data: 'constantRows'}),
  c('NaN and Infinity stay in their rows', [4, 8], -1, {data: 'nonFinite'}),
  c('NaN and Infinity, NCHW axis 1', [2, 4, 3, 2], 1, {data: 'nonFinite'}),
  c('wide integers, row length 4097', [2, 4097], -1, {data: 'wideIntegers'}),
  c('wide integers, strided axis 1', [3, 1024, 2], 1, {data: 'wideIntegers'}),
  c('rank 7, alternating axes [1, 3, 5]', [2, 3, 2, 3, 2, 2, 3], [1, 3, 5]),
  c('rank 8, alternating axes [1, 3, 5, 7]', [2, 2, 2, 2, 2, 2, 2, 3], [1, 3, 5, 7]),
  c('featureAxes [3] of axes [1, 2, 3] (Flax NHWC)', [2, 3, 4, 5], [1, 2, 3],
    {featureAxes: [3], statsGrad: true}),
  c('featureAxes [1, 2] beyond axis -1', [2, 3, 4], -1, {featureAxes: [1, 2]}),
  c('featureAxes 0 disjoint from axis 1', [3, 4, 5], 1, {featureAxes: 0, statsGrad: true}),
  c('featureAxes [] (scalar gamma and beta)', [4, 6], -1, {featureAxes: []}),
  c('featureAxes [-1] of axes [0, 2], large mean', [3, 4, 5], [0, 2],
    {featureAxes: [-1], data: 'largeMean'}),
  c('featureAxes [1, 3] of axis [1], constant rows', [2, 3, 2, 4], 1,
    {featureAxes: [1, 3], data: 'constantRows'}),
  c('rank 7, featureAxes [3, 6] of axes [1, 3, 5]', [2, 3, 2, 3, 2, 2, 3], [1, 3, 5],
    {featureAxes: [3, 6]}),
  c('NCHW axis 1, 14 groups a block, stats gradient', [3, 5, 2, 7], 1, {statsGrad: true}),
  c('rank 5, NCDHW channel axis 1', [2, 6, 3, 2, 5], 1),
  c('large mean rows, axes [0, 2]', [3, 5, 13], [0, 2], {data: 'largeMean', statsGrad: true}),
  c('constant rows, axes [0, 2]', [3, 4, 9], [0, 2], {data: 'constantRows'}),
  c('NaN and Infinity, axes [0, 2]', [2, 4, 6], [0, 2], {data: 'nonFinite'}),
  // Groups enough for the kernels that give each invocation a strip of
  // groups (here of odd lengths: 33 and 37).
  c('1025 rows of length 8, stats gradient', [1025, 8], -1, {statsGrad: true}),
  c('1312 groups, featureAxes 0 disjoint from axis 1, large mean', [41, 4, 32], 1,
    {featureAxes: 0, data: 'largeMean'}),
  // A loss on mean and invStd alone: dGamma and dBeta are zeros, not an error.
  c('stats-only loss', [4, 6], -1, {statsGrad: 'only'}),
  c('stats-only loss, NCHW axis 1', [2, 3, 4, 5], 1, {statsGrad: 'only'}),
  c('rank 6, stats-only loss', [2, 1, 3, 2, 2, 3], [2, 4, 5], {statsGrad: 'only'}),
  // Empty groups: y empty, mean and invStd 0/0 = NaN; no groups: dGamma and dBeta zeros.
  c('empty groups [4, 0]', [4, 0], -1, {statsGrad: true}),
  c('empty groups, NCHW axis 1', [2, 0, 3], 1, {statsGrad: true}),
  c('no groups [0, 4]', [0, 4], -1, {statsGrad: true}),
  c('no groups, NCHW axis 1', [0, 3, 2, 2], 1, {statsGrad: true}),
  // The ends of epsilon's range (layer_norm_util.ts EPSILON_FORM).
  c('epsilon 0', [5, 4], -1, {epsilon: 0, statsGrad: true}),
  c('constant rows, epsilon 0 (0/0: y NaN, invStd Infinity)', [4, 7], -1,
    {data: 'constantRows', epsilon: 0}),
  c('constant rows, epsilon 0, NCHW axis 1', [2, 4, 3, 3], 1, {data: 'constantRows', epsilon: 0}),
  c('constant rows, epsilon 0, length 768', [3, 768], -1, {data: 'constantRows', epsilon: 0}),
  // (More than FINITE_DIFFERENCE_MAX_SIZE elements: invStd ~ 1e19 leaves finite differences meaningless.)
  c('constant rows, epsilon float32\'s smallest normal', [40, 7], -1,
    {data: 'constantRows', epsilon: 1.1754943508222875e-38}),
  c('epsilon float32\'s max', [5, 4], -1, {epsilon: 3.4028234663852886e38, statsGrad: true}),
  c('epsilon float32\'s max, NCHW axis 1', [2, 4, 3, 3], 1, {epsilon: 3.4028234663852886e38}),
];

/** Stated tolerances: |actual - expected| <= atol * max(1, max|expected|) + rtol * |expected|. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface BackendTolerances {
  /** y, mean and invStd against the float64 reference. */
  forward: Tolerance;
  /** dx, dGamma and dBeta against the float64 analytic gradient. */
  grads: Tolerance;
  /** The same gradients against float64 finite differences (small cases). */
  finiteDifferences: Tolerance;
  /** Constant rows must give exactly beta (true on the cpu backend). */
  exactConstantRows: boolean;
  /**
   * Round every input to the nearest float16 first, for the tensors and the
   * reference alike: for backends that store tensors as half floats, so the
   * comparison measures the backend's own error rather than the rounding of
   * the inputs on upload, which no kernel can undo.
   */
  float16Inputs?: boolean;
}

/**
 * The cpu kernels accumulate in float64 and round once, so they are held to
 * a few float32 ulps.
 */
export const CPU_TOLERANCES: BackendTolerances = {
  forward: {atol: 1e-6, rtol: 1e-6},
  grads: {atol: 1e-5, rtol: 1e-5},
  finiteDifferences: {atol: 1e-4, rtol: 1e-4},
  exactConstantRows: true,
};

/**
 * GPU kernels and the composite accumulate in float32: a little looser.
 */
export const FLOAT32_TOLERANCES: BackendTolerances = {
  forward: {atol: 2e-5, rtol: 2e-5},
  grads: {atol: 1e-4, rtol: 1e-4},
  finiteDifferences: {atol: 5e-4, rtol: 5e-4},
  exactConstantRows: false,
};

/**
 * The webgpu kernels: float32 accumulation as FLOAT32_TOLERANCES, but they
 * shift every group by its first element before reducing, so a constant
 * group has exactly zero deviations and must give exactly beta.
 */
export const WEBGPU_TOLERANCES: BackendTolerances = {
  ...FLOAT32_TOLERANCES,
  exactConstantRows: true,
};

/**
 * The webgl kernels: float32 arithmetic as FLOAT32_TOLERANCES; they shift
 * every group by its first element, so a constant group must give exactly
 * beta.
 */
export const WEBGL_TOLERANCES: BackendTolerances = {
  ...FLOAT32_TOLERANCES,
  exactConstantRows: true,
};

/**
 * webgl with half-float textures (WEBGL_FORCE_F16_TEXTURES): every stored
 * value (the inputs on upload; the statistics, partial reductions and
 * outputs on every write) is rounded to 11 significant bits, a relative
 * error of up to 2^-11 = 4.9e-4 each; the arithmetic inside a program is
 * f32. The inputs are rounded to float16 for the reference too
 * (float16Inputs), so what is measured is the kernels' own error: a forward
 * result goes through a few such roundings (2e-3 of the group's scale), a
 * gradient through more, and dx multiplies the rounding of the stored row
 * means by invStd, up to 1 / sqrt(epsilon) = 316 for a constant group
 * (8e-3). nonFinite cases are not run in that configuration: TF.js's f16
 * upload turns Infinity into NaN in every op (test/browser/configs.js).
 */
export const F16_TEXTURE_TOLERANCES: BackendTolerances = {
  forward: {atol: 2e-3, rtol: 2e-3},
  grads: {atol: 8e-3, rtol: 8e-3},
  finiteDifferences: {atol: 8e-3, rtol: 8e-3},
  exactConstantRows: true,
  float16Inputs: true,
};

/**
 * The composite of TF.js ops (backends without our kernels, tfjs-node among
 * them): float32 ops as FLOAT32_TOLERANCES; it shifts every group by its
 * first element, so a constant group must give exactly beta.
 */
export const COMPOSITE_TOLERANCES: BackendTolerances = {
  ...FLOAT32_TOLERANCES,
  exactConstantRows: true,
};
