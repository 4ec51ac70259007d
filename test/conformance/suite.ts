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

export interface LayerNormApi {
  layerNorm: (x: Tensor, gamma: Tensor|null, beta: Tensor|null,
              opts: {axis: number|number[], epsilon: number}) => Tensor;
  layerNormWithStats: (x: Tensor, gamma: Tensor|null, beta: Tensor|null,
                       opts: {axis: number|number[], epsilon: number}) =>
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
  const {group, groups, groupSize} = groupIndex(c.shape, c.axis);
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
    default:
      throw new Error(`unknown data kind ${c.data}`);
  }
  return {
    x,
    gamma: c.gamma ? normalData(groupSize, 21, 1, 1) : null,
    beta: c.beta ? normalData(groupSize, 22, 1, 0) : null,
    weights: {
      wy: normalData(size, 31),
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

export async function runConformanceCase(
    tf: TF, api: LayerNormApi, c: ConformanceCase,
    tol: BackendTolerances): Promise<CaseReport> {
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
  const opts = {axis: c.axis, epsilon: c.epsilon};
  const ref = refForward(d.x, c.shape, c.axis, d.gamma, d.beta, c.epsilon);
  const tensorsBefore = tf.memory().numTensors;

  // Forward and stats.
  const x = tf.tensor(d.x, c.shape);
  const gamma = d.gamma ? tf.tensor(d.gamma, paramShapeOf(c)) : null;
  const beta = d.beta ? tf.tensor(d.beta, paramShapeOf(c)) : null;
  const plain = api.layerNorm(x, gamma, beta, opts);
  const stats = api.layerNormWithStats(x, gamma, beta, opts);
  check('y (layerNorm)', await plain.data(), ref.y, tol.forward);
  check('y (layerNormWithStats)', await stats.y.data(), ref.y, tol.forward);
  check('mean', await stats.mean.data(), ref.mean, tol.forward);
  check('invStd', await stats.invStd.data(), ref.invStd, tol.forward);
  const expectStatsShape = c.shape.map((s, i) => axesOf(c).includes(i) ? 1 : s);
  report.checks++;
  if (!sameShape(stats.mean.shape, expectStatsShape) ||
      !sameShape(stats.invStd.shape, expectStatsShape) ||
      !sameShape(plain.shape, c.shape)) {
    report.failures.push(`shapes: y ${plain.shape}, mean ${stats.mean.shape}, invStd ${
        stats.invStd.shape}; expected y ${c.shape}, stats ${expectStatsShape}`);
  }
  if (c.data === 'constantRows') {
    report.checks++;
    const y = await plain.data();
    const {member} = groupIndex(c.shape, c.axis);
    for (let i = 0; i < y.length; i++) {
      const want = d.beta ? d.beta[member[i]] : 0;
      const ok = tol.exactConstantRows ? y[i] === want :
                                         Math.abs(y[i] - want) <= tol.forward.atol;
      if (!ok) {
        report.failures.push(`constant rows: y[${i}] = ${y[i]}, expected beta = ${want}`);
        break;
      }
    }
  }
  tf.dispose([plain, stats.y, stats.mean, stats.invStd]);

  // Gradients (not on non-finite data, where they are NaN by definition).
  if (c.data !== 'nonFinite') {
    const wy = tf.tensor(d.weights.wy, c.shape);
    const wMean = d.weights.wMean ? tf.tensor(d.weights.wMean, expectStatsShape) : null;
    const wInvStd = d.weights.wInvStd ? tf.tensor(d.weights.wInvStd, expectStatsShape) : null;
    const params: Tensor[] = [x];
    if (gamma) params.push(gamma);
    if (beta) params.push(beta);
    const loss = (...args: Tensor[]) => {
      const gArg = gamma ? args[1] : null;
      const bArg = beta ? args[gamma ? 2 : 1] : null;
      if (!c.statsGrad) {
        return tf.sum(tf.mul(api.layerNorm(args[0], gArg, bArg, opts), wy));
      }
      const out = api.layerNormWithStats(args[0], gArg, bArg, opts);
      return tf.addN([
        tf.sum(tf.mul(out.y, wy)), tf.sum(tf.mul(out.mean, wMean!)),
        tf.sum(tf.mul(out.invStd, wInvStd!))
      ]);
    };
    const grads = tf.grads(loss)(params);
    const got = {
      dx: await grads[0].data(),
      dGamma: gamma ? await grads[1].data() : null,
      dBeta: beta ? await grads[gamma ? 2 : 1].data() : null,
    };
    tf.dispose([...grads, wy, wMean, wInvStd].filter(t => t != null) as Tensor[]);

    const want = refGrads(d.x, c.shape, c.axis, d.gamma, c.epsilon, d.weights);
    check('dx', got.dx, want.dx, tol.grads);
    if (got.dGamma) check('dGamma', got.dGamma, want.dGamma, tol.grads);
    if (got.dBeta) check('dBeta', got.dBeta, want.dBeta, tol.grads);
    for (const g of [got.dx, got.dGamma, got.dBeta]) {
      if (g && !Array.from(g).every(Number.isFinite)) {
        report.failures.push('a gradient holds a non-finite value');
      }
    }

    if (sizeOf(c.shape) <= FINITE_DIFFERENCE_MAX_SIZE) {
      const step = 1e-6;
      const lossOf = (xv: ArrayLike<number>, gv: ArrayLike<number>|null,
                      bv: ArrayLike<number>|null) =>
          refLoss(xv, c.shape, c.axis, gv, bv, c.epsilon, d.weights);
      check('dx vs finite differences', got.dx,
            finiteDifferences(v => lossOf(v, d.gamma, d.beta), d.x, step),
            tol.finiteDifferences);
      if (got.dGamma && d.gamma) {
        check('dGamma vs finite differences', got.dGamma,
              finiteDifferences(v => lossOf(d.x, v, d.beta), d.gamma, step),
              tol.finiteDifferences);
      }
      if (got.dBeta && d.beta) {
        check('dBeta vs finite differences', got.dBeta,
              finiteDifferences(v => lossOf(d.x, d.gamma, v), d.beta, step),
              tol.finiteDifferences);
      }
    }
  }
  tf.dispose([x, gamma, beta].filter(t => t != null) as Tensor[]);

  report.checks++;
  const leaked = tf.memory().numTensors - tensorsBefore;
  if (leaked !== 0) {
    report.failures.push(`${leaked} tensor(s) leaked`);
  }
  return report;
}

function axesOf(c: ConformanceCase): number[] {
  const rank = c.shape.length;
  return (Array.isArray(c.axis) ? c.axis : [c.axis]).map(a => a < 0 ? a + rank : a);
}

function paramShapeOf(c: ConformanceCase): number[] {
  return axesOf(c).sort((a, b) => a - b).map(a => c.shape[a]);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
