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
    'nonFinite';

export interface ConformanceCase {
  name: string;
  shape: number[];
  axis: number|number[];
  gamma: boolean;
  beta: boolean;
  epsilon: number;
  data: DataKind;
  /** Also differentiate through mean and invStd (layerNormWithStats). */
  statsGrad?: boolean;
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
  c('constant rows, length 7', [4, 7], -1, {data: 'constantRows'}),
  c('constant rows, NCHW axis 1', [2, 4, 3, 3], 1, {data: 'constantRows'}),
  c('NaN and Infinity stay in their rows', [4, 8], -1, {data: 'nonFinite'}),
  c('NaN and Infinity, NCHW axis 1', [2, 4, 3, 2], 1, {data: 'nonFinite'}),
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
