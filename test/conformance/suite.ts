/**
 * Runs one conformance case on whatever backend is active and reports every
 * check that failed. Backend-agnostic and async (GPU reads), so the same code
 * runs under jest in Node and in the browser harness.
 */
import type * as tfNamespace from '@tensorflow/tfjs';

import {BackendTolerances, ConformanceCase, Tolerance} from './cases';
import {compare, finiteDifferences, float16Round, groupIndex, LossWeights, normalData, refForward, refGrads, refLoss, sizeOf} from './reference';

type TF = typeof tfNamespace;
type Tensor = tfNamespace.Tensor;

interface CaseOptions {
  axis: number|number[];
  epsilon: number;
  featureAxes?: number|number[];
}

export interface LayerNormApi {
  layerNorm: (x: Tensor, gamma: Tensor|null, beta: Tensor|null, opts: CaseOptions) => Tensor;
  layerNormWithStats: (x: Tensor, gamma: Tensor|null, beta: Tensor|null, opts: CaseOptions) =>
      {y: Tensor, mean: Tensor, invStd: Tensor};
}

export interface CaseReport {
  name: string;
  /** Number of comparisons made (a case that checked nothing is a failure). */
  checks: number;
  failures: string[];
}

/** Cases at most this large are also checked against finite differences. */
export const FINITE_DIFFERENCE_MAX_SIZE = 256;

export interface CaseData {
  x: Float32Array;
  gamma: Float32Array|null;
  beta: Float32Array|null;
  weights: LossWeights;
}

/** The inputs of a case, identical on every backend. */
export function caseData(c: ConformanceCase): CaseData {
  const size = sizeOf(c.shape);
  const {group, groups, paramSize} = groupIndex(c.shape, c.axis, featureAxesOf(c));
  let x: Float32Array;
  switch (c.data) {
    case 'normal':
      x = normalData(size, 11, 2, 0.5);
      break;
    case 'largeMean':
      x = normalData(size, 12, 1, 1e4);
      break;
    case 'constantRows':
      x = Float32Array.from(group, g => 3.3 + 1.7 * g);
      break;
    case 'nonFinite': {
      x = normalData(size, 13, 2, 0.5);
      const firstOf = (g: number) => group.findIndex(k => k === g);
      x[firstOf(0)] = NaN;
      if (groups > 1) x[firstOf(1)] = Infinity;
      break;
    }
    case 'wideIntegers':
      x = normalData(size, 14, 400, 1000).map(v => Math.min(2048, Math.max(-2048, Math.round(v))));
      break;
    case 'firstOutliers': {
      x = normalData(size, 15);
      const seen = new Set<number>();
      group.forEach((g, i) => {
        if (!seen.has(g)) {
          seen.add(g);
          x[i] += 5;
        }
      });
      break;
    }
    default:
      throw new Error(`unknown data kind ${c.data}`);
  }
  return {
    x,
    gamma: c.gamma ? normalData(paramSize, 21, 1, 1) : null,
    beta: c.beta ? normalData(paramSize, 22, 1, 0) : null,
    weights: {
      wy: c.statsGrad === 'only' ? new Float32Array(size) : normalData(size, 31),
      wMean: c.statsGrad ? normalData(groups, 32) : null,
      wInvStd: c.statsGrad ? normalData(groups, 33) : null,
    },
  };
}

/** The inputs of a case with every value rounded to the nearest float16. */
export function roundedToFloat16(d: CaseData): CaseData {
  const round = (a: ArrayLike<number>) => Float32Array.from(a, float16Round);
  return {
    x: round(d.x),
    gamma: d.gamma && round(d.gamma),
    beta: d.beta && round(d.beta),
    weights: {
      wy: round(d.weights.wy),
      wMean: d.weights.wMean && round(d.weights.wMean),
      wInvStd: d.weights.wInvStd && round(d.weights.wInvStd),
    },
  };
}

/** What one backend computed for a case, read back as arrays. */
interface CaseOutputs {
  y: ArrayLike<number>;
  yWithStats: ArrayLike<number>;
  mean: ArrayLike<number>;
  invStd: ArrayLike<number>;
  /** Shape problems found, if any. */
  shapeError: string|null;
  /** Gradients of the case's loss; null on non-finite data (NaN by definition). */
  grads: {dx: ArrayLike<number>, dGamma: ArrayLike<number>|null,
          dBeta: ArrayLike<number>|null}|null;
}

/** Runs the op, its stats variant and its gradients on the active backend. */
async function computeCase(
    tf: TF, api: LayerNormApi, c: ConformanceCase, d: CaseData): Promise<CaseOutputs> {
  const opts: CaseOptions = {axis: c.axis, epsilon: c.epsilon};
  if (c.featureAxes != null) opts.featureAxes = c.featureAxes;
  const x = tf.tensor(d.x, c.shape);
  const gamma = d.gamma ? tf.tensor(d.gamma, paramShapeOf(c)) : null;
  const beta = d.beta ? tf.tensor(d.beta, paramShapeOf(c)) : null;
  const plain = api.layerNorm(x, gamma, beta, opts);
  const stats = api.layerNormWithStats(x, gamma, beta, opts);
  const expectStatsShape = statsShapeOf(c);
  const shapesOk = sameShape(stats.mean.shape, expectStatsShape) &&
      sameShape(stats.invStd.shape, expectStatsShape) && sameShape(plain.shape, c.shape);
  const out: CaseOutputs = {
    y: await plain.data(),
    yWithStats: await stats.y.data(),
    mean: await stats.mean.data(),
    invStd: await stats.invStd.data(),
    shapeError: shapesOk ? null :
        `shapes: y ${plain.shape}, mean ${stats.mean.shape}, invStd ${
            stats.invStd.shape}; expected y ${c.shape}, stats ${expectStatsShape}`,
    grads: null,
  };
  tf.dispose([plain, stats.y, stats.mean, stats.invStd]);

  if (gradientsDefined(c)) {
    const wy = tf.tensor(d.weights.wy, c.shape);
    const wMean = d.weights.wMean ? tf.tensor(d.weights.wMean, expectStatsShape) : null;
    const wInvStd = d.weights.wInvStd ? tf.tensor(d.weights.wInvStd, expectStatsShape) : null;
    const params: Tensor[] = [x];
    if (gamma) params.push(gamma);
    if (beta) params.push(beta);
    // The loss works on flat views: TF.js wasm's binary ops are wrong above rank 6. A 0 is
    // appended: TF.js webgpu's sum of an empty tensor fails (empty-group cases).
    const dot = (t: Tensor, w: Tensor) =>
        tf.sum(tf.concat([tf.mul(tf.reshape(t, [-1]), tf.reshape(w, [-1])), tf.zeros([1])]));
    const loss = (...args: Tensor[]) => {
      const gArg = gamma ? args[1] : null;
      const bArg = beta ? args[gamma ? 2 : 1] : null;
      if (!c.statsGrad) {
        return dot(api.layerNorm(args[0], gArg, bArg, opts), wy);
      }
      const o = api.layerNormWithStats(args[0], gArg, bArg, opts);
      const statsLoss = [dot(o.mean, wMean!), dot(o.invStd, wInvStd!)];
      return tf.addN(c.statsGrad === 'only' ? statsLoss : [dot(o.y, wy), ...statsLoss]);
    };
    const grads = tf.grads(loss)(params);
    out.grads = {
      dx: await grads[0].data(),
      dGamma: gamma ? await grads[1].data() : null,
      dBeta: beta ? await grads[gamma ? 2 : 1].data() : null,
    };
    tf.dispose([...grads, wy, wMean, wInvStd].filter(t => t != null) as Tensor[]);
  }
  tf.dispose([x, gamma, beta].filter(t => t != null) as Tensor[]);
  return out;
}

export interface ConformanceOptions {
  /**
   * Also run the case on this backend (e.g. 'cpu') and require the two to
   * agree within the same tolerances, then switch back.
   */
  crossCheckBackend?: string;
}

export async function runConformanceCase(
    tf: TF, api: LayerNormApi, c: ConformanceCase, tol: BackendTolerances,
    options: ConformanceOptions = {}): Promise<CaseReport> {
  const report: CaseReport = {name: c.name, checks: 0, failures: []};
  const check = (what: string, actual: ArrayLike<number>,
                 expected: ArrayLike<number>, t: Tolerance) => {
    report.checks++;
    let maxAbs = 1;
    for (let i = 0; i < expected.length; i++) {
      if (Number.isFinite(expected[i])) maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
    }
    const worst = compare(actual, expected, t.atol * maxAbs, t.rtol);
    if (worst.ratio > 1) {
      report.failures.push(`${what}: element ${worst.index} is ${
          worst.actual}, expected ${worst.expected} (error ${
          worst.ratio.toPrecision(3)}x the tolerance atol ${t.atol} rtol ${t.rtol})`);
    }
  };

  const d = tol.float16Inputs ? roundedToFloat16(caseData(c)) : caseData(c);
  const features = featureAxesOf(c);
  const ref = refForward(d.x, c.shape, c.axis, d.gamma, d.beta, c.epsilon, features);
  const tensorsBefore = tf.memory().numTensors;
  const got = await computeCase(tf, api, c, d);

  // Forward and stats.
  check('y (layerNorm)', got.y, ref.y, tol.forward);
  check('y (layerNormWithStats)', got.yWithStats, ref.y, tol.forward);
  check('mean', got.mean, ref.mean, tol.forward);
  check('invStd', got.invStd, ref.invStd, tol.forward);
  report.checks++;
  if (got.shapeError) report.failures.push(got.shapeError);
  if (c.data === 'constantRows' && c.epsilon > 0) {
    report.checks++;
    const {param} = groupIndex(c.shape, c.axis, features);
    for (let i = 0; i < got.y.length; i++) {
      const want = d.beta ? d.beta[param[i]] : 0;
      const ok = tol.exactConstantRows ? got.y[i] === want :
                                         Math.abs(got.y[i] - want) <= tol.forward.atol;
      if (!ok) {
        report.failures.push(`constant rows: y[${i}] = ${got.y[i]}, expected beta = ${want}`);
        break;
      }
    }
  }

  // Gradients against the analytic float64 gradient and finite differences.
  if (got.grads) {
    const want = refGrads(d.x, c.shape, c.axis, d.gamma, c.epsilon, d.weights, features);
    const {dx, dGamma, dBeta} = got.grads;
    check('dx', dx, want.dx, tol.grads);
    if (dGamma) check('dGamma', dGamma, want.dGamma, tol.grads);
    if (dBeta) check('dBeta', dBeta, want.dBeta, tol.grads);
    for (const g of [dx, dGamma, dBeta]) {
      if (g && !Array.from(g).every(Number.isFinite)) {
        report.failures.push('a gradient holds a non-finite value');
      }
    }

    if (sizeOf(c.shape) <= FINITE_DIFFERENCE_MAX_SIZE) {
      const step = 1e-6;
      const lossOf = (xv: ArrayLike<number>, gv: ArrayLike<number>|null,
                      bv: ArrayLike<number>|null) =>
          refLoss(xv, c.shape, c.axis, gv, bv, c.epsilon, d.weights, features);
      check('dx vs finite differences', dx,
            finiteDifferences(v => lossOf(v, d.gamma, d.beta), d.x, step),
            tol.finiteDifferences);
      if (dGamma && d.gamma) {
        check('dGamma vs finite differences', dGamma,
              finiteDifferences(v => lossOf(d.x, v, d.beta), d.gamma, step),
              tol.finiteDifferences);
      }
      if (dBeta && d.beta) {
        check('dBeta vs finite differences', dBeta,
              finiteDifferences(v => lossOf(d.x, d.gamma, v), d.beta, step),
              tol.finiteDifferences);
      }
    }
  }

  report.checks++;
  const leaked = tf.memory().numTensors - tensorsBefore;
  if (leaked !== 0) {
    report.failures.push(`${leaked} tensor(s) leaked`);
  }

  if (options.crossCheckBackend != null) {
    const active = tf.getBackend();
    await tf.setBackend(options.crossCheckBackend);
    let other: CaseOutputs;
    try {
      other = await computeCase(tf, api, c, d);
    } finally {
      await tf.setBackend(active);
    }
    const on = `vs ${options.crossCheckBackend}`;
    check(`y ${on}`, got.y, other.y, tol.forward);
    check(`mean ${on}`, got.mean, other.mean, tol.forward);
    check(`invStd ${on}`, got.invStd, other.invStd, tol.forward);
    if (got.grads && other.grads) {
      check(`dx ${on}`, got.grads.dx, other.grads.dx, tol.grads);
      if (got.grads.dGamma) check(`dGamma ${on}`, got.grads.dGamma, other.grads.dGamma!, tol.grads);
      if (got.grads.dBeta) check(`dBeta ${on}`, got.grads.dBeta, other.grads.dBeta!, tol.grads);
    }
  }
  return report;
}

/** NaN inputs, and constant groups with epsilon 0 (0/0), have NaN gradients by definition. */
function gradientsDefined(c: ConformanceCase): boolean {
  return c.data !== 'nonFinite' && !(c.data === 'constantRows' && c.epsilon === 0);
}

function resolved(c: ConformanceCase, axis: number|number[]): number[] {
  const rank = c.shape.length;
  return (Array.isArray(axis) ? axis : [axis]).map(a => a < 0 ? a + rank : a);
}

function axesOf(c: ConformanceCase): number[] {
  return resolved(c, c.axis);
}

function featureAxesOf(c: ConformanceCase): number|number[] {
  return c.featureAxes ?? c.axis;
}

function paramShapeOf(c: ConformanceCase): number[] {
  return resolved(c, featureAxesOf(c)).sort((a, b) => a - b).map(a => c.shape[a]);
}

function statsShapeOf(c: ConformanceCase): number[] {
  return c.shape.map((s, i) => axesOf(c).includes(i) ? 1 : s);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
