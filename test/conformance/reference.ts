/**
 * Independent float64 reference for LayerNorm, written from the definition
 * with explicit multi-index arithmetic (it shares no code with src/).
 */

export type Shape = readonly number[];

/** Deterministic PRNG (mulberry32) so every backend sees the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples, rounded to float32 (what the tensors hold). */
export function normalData(size: number, seed: number, scale = 1, shift = 0):
    Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const u = Math.max(rand(), 1e-12), v = rand();
    out[i] = shift + scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** Largest finite float16; anything from halfway to the next power of two up rounds to Infinity. */
const FLOAT16_MAX = 65504;
const FLOAT16_OVERFLOW = 65520;
/** float16 keeps 10 fraction bits; below 2^-14 it is subnormal, in steps of 2^-24. */
const FLOAT16_FRACTION_BITS = 10;
const FLOAT16_MIN_NORMAL_EXPONENT = -14;

/** The float16 nearest to v (ties to even), as a number. */
export function float16Round(v: number): number {
  const a = Math.abs(v);
  if (!Number.isFinite(v) || a === 0) return v;
  if (a >= FLOAT16_OVERFLOW) return Math.sign(v) * Infinity;
  let exponent = Math.floor(Math.log2(a));
  if (2 ** exponent > a) exponent--;  // log2 rounded up just below a power of two
  const step = 2 ** (Math.max(exponent, FLOAT16_MIN_NORMAL_EXPONENT) - FLOAT16_FRACTION_BITS);
  const q = a / step;
  let n = Math.round(q);
  if (n - q === 0.5 && n % 2 === 1) n--;  // a tie rounds to the even neighbour
  return Math.sign(v) * Math.min(n * step, FLOAT16_MAX);
}

export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function resolveAxes(axis: number|number[], rank: number): number[] {
  const list = Array.isArray(axis) ? axis : [axis];
  return list.map(a => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

/**
 * For each flat element of x: which group it belongs to (row-major over the
 * kept axes), its position in the group (row-major over the normalized
 * axes) and its gamma index (row-major over the feature axes, default the
 * normalized ones).
 */
export function groupIndex(shape: Shape, axis: number|number[], featureAxes: number|number[] = axis): {
  group: Int32Array, member: Int32Array, param: Int32Array, groups: number, groupSize: number,
  paramSize: number
} {
  const axes = resolveAxes(axis, shape.length);
  const features = resolveAxes(featureAxes, shape.length);
  const size = sizeOf(shape);
  const group = new Int32Array(size), member = new Int32Array(size), param = new Int32Array(size);
  const idx = new Array(shape.length).fill(0);
  for (let flat = 0; flat < size; flat++) {
    let g = 0, m = 0, p = 0;
    for (let d = 0; d < shape.length; d++) {
      if (axes.includes(d)) {
        m = m * shape[d] + idx[d];
      } else {
        g = g * shape[d] + idx[d];
      }
      if (features.includes(d)) {
        p = p * shape[d] + idx[d];
      }
    }
    group[flat] = g;
    member[flat] = m;
    param[flat] = p;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  const groupSize = axes.reduce((n, a) => n * shape[a], 1);
  const groups = shape.reduce((n, s, d) => axes.includes(d) ? n : n * s, 1);
  const paramSize = features.reduce((n, a) => n * shape[a], 1);
  return {group, member, param, groups, groupSize, paramSize};
}

export interface RefForward {
  y: Float64Array;
  mean: Float64Array;
  invStd: Float64Array;
}

export function refForward(
    x: ArrayLike<number>, shape: Shape, axis: number|number[],
    gamma: ArrayLike<number>|null, beta: ArrayLike<number>|null,
    epsilon: number, featureAxes: number|number[] = axis): RefForward {
  const {group, param, groups, groupSize} = groupIndex(shape, axis, featureAxes);
  const mean = new Float64Array(groups), variance = new Float64Array(groups);
  for (let i = 0; i < x.length; i++) mean[group[i]] += x[i];
  for (let g = 0; g < groups; g++) mean[g] /= groupSize;
  for (let i = 0; i < x.length; i++) {
    variance[group[i]] += (x[i] - mean[group[i]]) ** 2;
  }
  const invStd = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    invStd[g] = 1 / Math.sqrt(variance[g] / groupSize + epsilon);
  }
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xhat = (x[i] - mean[group[i]]) * invStd[group[i]];
    y[i] = xhat * (gamma ? gamma[param[i]] : 1) + (beta ? beta[param[i]] : 0);
  }
  return {y, mean, invStd};
}

/** Weights of the test loss L = sum(y*wy) + sum(mean*wMean) + sum(invStd*wInvStd). */
export interface LossWeights {
  wy: Float64Array|Float32Array;
  wMean: Float64Array|Float32Array|null;
  wInvStd: Float64Array|Float32Array|null;
}

export function refLoss(
    x: ArrayLike<number>, shape: Shape, axis: number|number[],
    gamma: ArrayLike<number>|null, beta: ArrayLike<number>|null,
    epsilon: number, w: LossWeights, featureAxes: number|number[] = axis): number {
  const {y, mean, invStd} = refForward(x, shape, axis, gamma, beta, epsilon, featureAxes);
  let loss = 0;
  for (let i = 0; i < y.length; i++) loss += y[i] * w.wy[i];
  if (w.wMean) for (let g = 0; g < mean.length; g++) loss += mean[g] * w.wMean[g];
  if (w.wInvStd) for (let g = 0; g < invStd.length; g++) loss += invStd[g] * w.wInvStd[g];
  return loss;
}

export interface RefGrads {
  dx: Float64Array;
  dGamma: Float64Array;
  dBeta: Float64Array;
}

/**
 * Analytic gradients of refLoss, derived by hand:
 *   xhat = (x - mu) r, r = (var + eps)^-1/2, g = wy * gamma[feature index]
 *   dGamma[p] = sum of wy * xhat and dBeta[p] = sum of wy over the elements whose feature index is p
 *   dL/dx = r (g - <g>) - xhat (r <g xhat>) + wMean / N - wInvStd r^3 (x - mu) / N
 */
export function refGrads(
    x: ArrayLike<number>, shape: Shape, axis: number|number[],
    gamma: ArrayLike<number>|null, epsilon: number, w: LossWeights,
    featureAxes: number|number[] = axis): RefGrads {
  const {group, param, groups, groupSize, paramSize} = groupIndex(shape, axis, featureAxes);
  const {mean, invStd} = refForward(x, shape, axis, null, null, epsilon);
  const gMean = new Float64Array(groups), gXhatMean = new Float64Array(groups);
  const dGamma = new Float64Array(paramSize), dBeta = new Float64Array(paramSize);
  for (let i = 0; i < x.length; i++) {
    const k = group[i];
    const xhat = (x[i] - mean[k]) * invStd[k];
    const g = w.wy[i] * (gamma ? gamma[param[i]] : 1);
    gMean[k] += g / groupSize;
    gXhatMean[k] += g * xhat / groupSize;
    dGamma[param[i]] += w.wy[i] * xhat;
    dBeta[param[i]] += w.wy[i];
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = group[i], r = invStd[k];
    const xhat = (x[i] - mean[k]) * r;
    const g = w.wy[i] * (gamma ? gamma[param[i]] : 1);
    let v = r * (g - gMean[k]) - xhat * r * gXhatMean[k];
    if (w.wMean) v += w.wMean[k] / groupSize;
    if (w.wInvStd) v -= w.wInvStd[k] * r * r * r * (x[i] - mean[k]) / groupSize;
    dx[i] = v;
  }
  return {dx, dGamma, dBeta};
}

/** Central finite differences of f at v, in float64. */
export function finiteDifferences(
    f: (v: Float64Array) => number, v: ArrayLike<number>, step: number):
    Float64Array {
  const at = Float64Array.from(v);
  const out = new Float64Array(at.length);
  for (let i = 0; i < at.length; i++) {
    const keep = at[i];
    const h = step * Math.max(1, Math.abs(keep));
    at[i] = keep + h;
    const up = f(at);
    at[i] = keep - h;
    const down = f(at);
    at[i] = keep;
    out[i] = (up - down) / (2 * h);
  }
  return out;
}

/**
 * Largest violation of |actual - expected| <= atol + rtol * |expected|, as a
 * ratio (<= 1 passes), with the first offending index. NaN must match NaN,
 * and infinities must match exactly.
 */
export function compare(
    actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number,
    rtol: number): {ratio: number, index: number, actual: number, expected: number} {
  let worst = {ratio: 0, index: -1, actual: NaN, expected: NaN};
  if (actual.length !== expected.length) {
    return {ratio: Infinity, index: -1, actual: actual.length, expected: expected.length};
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    let ratio: number;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      ratio = Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)) ? 0 : Infinity;
    } else {
      ratio = Number.isFinite(a) ? Math.abs(a - e) / (atol + rtol * Math.abs(e)) : Infinity;
    }
    if (ratio > worst.ratio) worst = {ratio, index: i, actual: a, expected: e};
  }
  return worst;
}
