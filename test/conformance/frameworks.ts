/**
 * Parity with the real frameworks: runs a case recorded by interop/ (a
 * fixture of test/fixtures/frameworks) through the op and through the layer
 * built with the port of its framework, on whatever backend is active, and
 * compares y, the stats outputs and the gradients of sum(y * dy).
 * Backend-agnostic and async, like suite.ts.
 *
 * Tolerance, relative to the framework's own float32 output o:
 *   |ours - o| <= (base + k * 2^-23 * kappa) * max(1, max|o|)
 * with kappa = max over groups of max|x| / sqrt(var + eps), the amplification
 * of x's rounding in float32 (1e4 for rows of mean 1e4 and spread 1, where
 * a float32 framework is itself off by ~1e-3).
 */
import type * as tfNamespace from '@tensorflow/tfjs';

import type * as lib from '../../src';

import {refGrads} from './reference';

type TF = typeof tfNamespace;
type Tensor = tfNamespace.Tensor;
type Api = typeof lib;

export interface FixtureTensor {
  shape: number[];
  /**
   * float32 values. JSON has no NaN or Infinity: the files write them as the
   * strings 'NaN', 'Infinity', '-Infinity', which runFrameworkCase reads back.
   */
  data: number[];
}

export interface FrameworkCase {
  name: string;
  api: string;
  /** Constructor arguments as the framework spells them. */
  args: {[key: string]: unknown};
  /** Keras: the unbuilt layer's get_config() (axis as given, epsilon, center, scale...). */
  config?: {[key: string]: unknown};
  data: string;
  x: FixtureTensor;
  dy: FixtureTensor;
  /** The parameters under the framework's names and shapes. */
  params: {[name: string]: FixtureTensor};
  /** False where the parameters are the framework's initial ones. */
  params_set: boolean;
  y: FixtureTensor;
  /** mx.nd.LayerNorm(output_mean_var=True): mean and std. */
  outputs?: {[name: string]: FixtureTensor};
  grads: {[name: string]: FixtureTensor};
  /**
   * The framework's own parameter gradients where they are not the reference
   * (Lucid 2.9.0's): recorded to show that, not compared; ours are compared
   * with the float64 reference (refGrads) instead.
   */
  own_param_grads?: {[name: string]: FixtureTensor};
}

export interface FrameworkFixture {
  framework: string;
  version: string;
  api: string;
  versions: {[name: string]: string};
  cases: FrameworkCase[];
}

export const FRAMEWORK_FILES = ['mxnet', 'torch', 'flax', 'mlx', 'keras3', 'tf-keras', 'lucid'];

export interface FrameworkTolerance {
  /** Relative to max(1, max|framework output|). */
  base: number;
  /** Multiplies 2^-23 * kappa. */
  k: number;
}

export interface FrameworkTolerances {
  forward: FrameworkTolerance;
  grads: FrameworkTolerance;
}

export const FRAMEWORK_TOLERANCES: FrameworkTolerances = {
  forward: {base: 2e-6, k: 4},
  grads: {base: 2e-5, k: 16},
};

/** GPU kernels accumulate in float32 (as cases.ts' FLOAT32_TOLERANCES). */
export const FRAMEWORK_FLOAT32_TOLERANCES: FrameworkTolerances = {
  forward: {base: 2e-5, k: 8},
  grads: {base: 1e-4, k: 32},
};

export type Route = 'op'|'layer';

export interface FrameworkReport {
  name: string;
  checks: number;
  failures: string[];
  /** Largest error / tolerance seen (for the log). */
  worst: number;
}

/** The layer a framework's code maps to, written the way a user would port it. */
export function portedLayer(api: Api, framework: string, c: FrameworkCase): lib.LayerNorm {
  const a = c.args as {[key: string]: any};  // tslint:disable-line:no-any
  switch (framework) {
    case 'mxnet': {
      const initializer = (spec: {class: string, value: number}|undefined) =>
          spec == null ? undefined : {className: spec.class.replace('mxnet.init.', ''),
                                      config: {value: spec.value}};
      return new api.LayerNorm({
        axis: a.axis, epsilon: a.epsilon, center: a.center, scale: a.scale,
        inChannels: a.in_channels, gammaInitializer: initializer(a.gamma_initializer),
        betaInitializer: initializer(a.beta_initializer),
      });
    }
    case 'torch':
      return api.LayerNorm.fromPyTorch({
        normalizedShape: a.normalized_shape, eps: a.eps, elementwiseAffine: a.elementwise_affine,
        bias: a.bias,
      });
    case 'flax':
      return api.LayerNorm.fromFlax({
        epsilon: a.epsilon, useBias: a.use_bias, useScale: a.use_scale,
        reductionAxes: a.reduction_axes, featureAxes: a.feature_axes,
        useFastVariance: a.use_fast_variance,
      });
    case 'lucid':
      return api.LayerNorm.fromLucid({
        normalizedShape: a.normalized_shape, eps: a.eps, elementwiseAffine: a.elementwise_affine,
        bias: a.bias,
      });
    case 'mlx':
      return api.LayerNorm.fromMLX({dims: a.dims, eps: a.eps, affine: a.affine, bias: a.bias});
    case 'keras':
    case 'tf-keras':
      return api.LayerNorm.fromKeras(c.config!);
    default:
      throw new Error(`no port for framework '${framework}'`);
  }
}

const WEIGHTS_NAMES: {[framework: string]: 'pytorch'|'lucid'|'flax'|'mlx'|'keras'|'mxnet'} = {
  'mxnet': 'mxnet', 'torch': 'pytorch', 'flax': 'flax', 'mlx': 'mlx', 'keras': 'keras',
  'tf-keras': 'keras', 'lucid': 'lucid',
};

/** The case with the non-finite values its file writes as strings read back as numbers. */
export function decodeCase(c: FrameworkCase): FrameworkCase {
  const decode = (value: unknown): unknown => {
    if (value == null || typeof value !== 'object' || Array.isArray(value)) return value;
    const v = value as {[key: string]: unknown};
    if (Array.isArray(v.data) && Array.isArray(v.shape)) {
      return {shape: v.shape, data: (v.data as unknown[]).map(Number)};
    }
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, decode(e)]));
  };
  return {...c, x: decode(c.x), dy: decode(c.dy), params: decode(c.params), y: decode(c.y),
          outputs: decode(c.outputs), grads: decode(c.grads)} as FrameworkCase;
}

/** Group id of every element of x for statistics over `axes` (sorted, non-negative). */
function groupsOf(shape: number[], axes: number[]): Int32Array {
  const size = shape.reduce((p, s) => p * s, 1);
  const out = new Int32Array(size);
  const idx = shape.map(() => 0);
  for (let flat = 0; flat < size; flat++) {
    let g = 0;
    for (let d = 0; d < shape.length; d++) {
      if (!axes.includes(d)) g = g * shape[d] + idx[d];
    }
    out[flat] = g;
    for (let d = shape.length - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
  }
  return out;
}

/**
 * kappa of each element's group, max|x| / sqrt(var + eps) over the group
 * (float64), and its maximum over groups.
 */
export function conditioning(x: FixtureTensor, axes: number[], eps: number):
    {perElement: Float64Array, max: number} {
  const group = groupsOf(x.shape, axes);
  const n = group.reduce((m, g) => Math.max(m, g + 1), 0);
  const sum = new Float64Array(n), sq = new Float64Array(n), count = new Float64Array(n);
  const maxAbs = new Float64Array(n);
  x.data.forEach((v, i) => {
    sum[group[i]] += v;
    count[group[i]]++;
    maxAbs[group[i]] = Math.max(maxAbs[group[i]], Math.abs(v));
  });
  x.data.forEach((v, i) => {
    const d = v - sum[group[i]] / count[group[i]];
    sq[group[i]] += d * d;
  });
  const kappa = Float64Array.from(maxAbs, (m, g) => m / Math.sqrt(sq[g] / count[g] + eps));
  // A constant group with eps 0 has kappa Infinity; its values are NaN, compared as such.
  return {perElement: Float64Array.from(group, g => kappa[g]),
          max: Math.max(0, ...kappa.filter(Number.isFinite))};
}

/**
 * Compares with the framework's values; elements of x's shape (y, dx) get
 * the tolerance of their own group, the rest that of the worst group.
 */
function checker(report: FrameworkReport, kappa: {perElement: Float64Array, max: number}) {
  return (what: string, actual: ArrayLike<number>, expected: FixtureTensor,
          t: FrameworkTolerance, actualShape?: number[]) => {
    report.checks++;
    if (actualShape && actualShape.join() !== expected.shape.join()) {
      report.failures.push(`${what}: shape [${actualShape}], framework [${expected.shape}]`);
      return;
    }
    if (actual.length !== expected.data.length) {
      report.failures.push(`${what}: ${actual.length} values, framework ${expected.data.length}`);
      return;
    }
    // Where the framework gives NaN or Infinity (0 / 0 with epsilon 0), ours must be the same.
    const nonFinite = expected.data.findIndex((e, i) => !Number.isFinite(e) && !Object.is(e, actual[i]));
    const finiteWrong = expected.data.findIndex((e, i) => Number.isFinite(e) && !Number.isFinite(actual[i]));
    if (nonFinite >= 0 || finiteWrong >= 0) {
      const i = nonFinite >= 0 ? nonFinite : finiteWrong;
      report.failures.push(`${what}: element ${i} is ${actual[i]}, framework ${expected.data[i]}`);
      return;
    }
    const scale = expected.data.reduce((m, v) => Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m, 1);
    const perElement = actual.length === kappa.perElement.length;
    let worst = 0, at = 0, atTol = 0;
    for (let i = 0; i < actual.length; i++) {
      if (!Number.isFinite(expected.data[i])) continue;
      const k = perElement ? kappa.perElement[i] : kappa.max;
      const tol = (t.base + t.k * 2 ** -23 * k) * scale;
      const err = Math.abs(actual[i] - expected.data[i]) / tol;
      if (!(err <= worst)) {
        worst = err;
        at = i;
        atTol = tol;
      }
    }
    report.worst = Math.max(report.worst, worst);
    if (!(worst <= 1)) {
      report.failures.push(`${what}: element ${at} is ${actual[at]}, framework ${
          expected.data[at]} (${worst.toPrecision(3)}x the tolerance ${atTol.toPrecision(3)})`);
    }
  };
}

/**
 * Runs one fixture case through `route` on the active backend: 'layer' is
 * the ported layer (its weights loaded with setFrameworkWeights, or left as
 * initialized where the fixture kept the framework's initial values, which
 * are then compared too); 'op' is layerNorm/layerNormWithStats with the
 * axis, epsilon and featureAxes the port chose and the layer's weights.
 */
export async function runFrameworkCase(
    tf: TF, api: Api, fixture: FrameworkFixture, encoded: FrameworkCase, route: Route,
    tolerances: FrameworkTolerances = FRAMEWORK_TOLERANCES): Promise<FrameworkReport> {
  const c = decodeCase(encoded);
  const report: FrameworkReport = {name: `${fixture.framework} ${c.name} (${route})`, checks: 0,
                                   failures: [], worst: 0};
  const before = tf.memory().numTensors;
  const x = tf.tensor(c.x.data, c.x.shape);
  const dy = tf.tensor(c.dy.data, c.dy.shape);
  const isNd = c.api === 'mxnet.nd.LayerNorm';
  const created: Tensor[] = [];
  let layer: lib.LayerNorm|null = null;
  try {
    layer = isNd ?
        new api.LayerNorm({axis: c.args.axis as number, epsilon: c.args.eps as number}) :
        portedLayer(api, fixture.framework, c);
    const built = layer;
    layer.build(x.shape);
    const [gammaName, betaName] = fixture.framework === 'flax' ? ['scale', 'bias'] :
        ['torch', 'mlx', 'lucid'].includes(fixture.framework) ? ['weight', 'bias'] :
                                                                ['gamma', 'beta'];
    // The parameters the layer holds: learned ones, and MXNet's frozen ones (center/scale off).
    const [hasGamma, hasBeta] = layer.heldParameters();
    const given: {[name: string]: number[]} = {};
    if (hasGamma) given[gammaName] = c.params[gammaName].data;
    if (hasBeta) given[betaName] = c.params[betaName].data;
    const axes = (Array.isArray(layer.axis) ? layer.axis : [layer.axis])
                     .map(a => a < 0 ? a + c.x.shape.length : a);
    const check = checker(report, conditioning(c.x, axes, layer.epsilon));
    const byName = (suffix: string) => {
      const w = built.weights.find(v => v.originalName.endsWith(suffix));
      return w == null ? null : {value: w.read(), trainable: w.trainable};
    };
    const [gammaWeight, betaWeight] = [byName('gamma'), byName('beta')];
    if (c.params_set || isNd) {
      // The framework's names, shapes and layouts, as a user would load them.
      const weights: {[name: string]: Tensor} = {};
      for (const name of Object.keys(given)) {
        weights[name] = tf.tensor(c.params[name].data, c.params[name].shape);
        created.push(weights[name]);
      }
      api.setFrameworkWeights(layer, WEIGHTS_NAMES[fixture.framework] ?? 'mxnet', weights);
    } else {
      // The framework's initial values: the mapped initializers must give them.
      for (const [name, weight] of [[gammaName, gammaWeight], [betaName, betaWeight]] as const) {
        if (weight != null) {
          check(`initial ${name}`, weight.value.dataSync(), c.params[name], tolerances.forward);
        }
      }
    }
    const [gamma, beta] = [gammaWeight?.value ?? null, betaWeight?.value ?? null];
    const config = layer.getConfig() as {axis: number|number[], epsilon: number,
                                         featureAxes?: number|number[]|null, rmsScaling?: boolean};
    const opts: {axis: number|number[], epsilon: number, featureAxes?: number|number[]} =
        {axis: config.axis, epsilon: config.epsilon};
    if (config.featureAxes != null) opts.featureAxes = config.featureAxes;

    // The op route of Keras 3's rms_scaling: x · invStd · γ from the op's statistics.
    const rmsScaled = (xv: Tensor, g: Tensor|null) => tf.tidy(() => {
      const stats = api.layerNormWithStats(xv, null, null, opts as lib.LayerNormOptions);
      const scaled = tf.mul(xv, stats.invStd);
      const broadcast = xv.shape.map((d, i) => axes.includes(i) ? d : 1);
      return g == null ? scaled : tf.mul(scaled, tf.reshape(g, broadcast));
    });
    const forward = (xv: Tensor, g: Tensor|null, b: Tensor|null) => route === 'layer' ?
        built.apply(xv) as Tensor :
        config.rmsScaling ? rmsScaled(xv, g) : api.layerNorm(xv, g, b, opts as lib.LayerNormOptions);
    const y = forward(x, gamma, beta);
    check('y', await y.data(), c.y, tolerances.forward, y.shape);
    y.dispose();
    if (c.outputs) {
      const stats = api.layerNormWithStats(x, gamma, beta, opts as lib.LayerNormOptions);
      check('y (layerNormWithStats)', await stats.y.data(), c.y, tolerances.forward);
      check('mean', await stats.mean.data(), c.outputs.mean, tolerances.forward,
            stats.mean.shape);
      const std = Float32Array.from(await stats.invStd.data(), v => 1 / v);
      check('std (1 / invStd)', std, c.outputs.std, tolerances.forward, stats.invStd.shape);
      tf.dispose([stats.y, stats.mean, stats.invStd]);
    }

    // Gradients of sum(y * dy) for x and the parameters, by their framework names.
    const loss = (xv: Tensor, g: Tensor|null, b: Tensor|null) =>
        tf.sum(tf.mul(forward(xv, g, b), dy));
    const grads: {[name: string]: Tensor} = {};
    if (route === 'layer') {
      grads.x = tf.grad((xv: Tensor) => loss(xv, null, null))(x);
      const vars = built.trainableWeights.map(w => w.read() as tfNamespace.Variable);
      if (vars.length > 0) {
        const {value, grads: byVar} = tf.variableGrads(
            () => loss(x, null, null) as tfNamespace.Scalar, vars);
        value.dispose();
        built.trainableWeights.forEach((w, i) => {
          grads[w.originalName.endsWith('gamma') ? gammaName : betaName] = byVar[vars[i].name];
        });
      }
    } else {
      // Frozen parameters (MXNet's center/scale off) are constants, as there.
      const learnGamma = gammaWeight?.trainable === true, learnBeta = betaWeight?.trainable === true;
      const params = [x, learnGamma ? gamma : null, learnBeta ? beta : null]
                         .filter((t): t is Tensor => t != null);
      const g = tf.grads((...args: Tensor[]) => loss(
          args[0], learnGamma ? args[1] : gamma,
          learnBeta ? args[learnGamma ? 2 : 1] : beta))(params);
      grads.x = g[0];
      if (learnGamma) grads[gammaName] = g[1];
      if (learnBeta) grads[betaName] = g[learnGamma ? 2 : 1];
    }
    for (const name of Object.keys(c.grads)) {
      if (grads[name] == null) {
        report.checks++;
        report.failures.push(`no gradient for '${name}' (the framework has one)`);
        continue;
      }
      // Parameter gradients compare element-wise; Keras may shape them in its axis order.
      check(`d${name}`, await grads[name].data(), c.grads[name], tolerances.grads,
            name === 'x' ? grads[name].shape : undefined);
    }
    if (c.own_param_grads) {
      // The exact gradients of the float32 inputs, as the parameters' flat layout.
      const gamma = layer.scale ? c.params[gammaName].data : null;
      const ref = refGrads(c.x.data, c.x.shape, axes, gamma, layer.epsilon,
                           {wy: Float64Array.from(c.dy.data), wMean: null, wInvStd: null});
      for (const name of Object.keys(c.own_param_grads)) {
        const expected = {shape: c.params[name].shape,
                          data: Array.from(name === gammaName ? ref.dGamma : ref.dBeta)};
        if (grads[name] == null) {
          report.checks++;
          report.failures.push(`no gradient for '${name}' (the framework has one)`);
        } else {
          check(`d${name} (float64 reference)`, await grads[name].data(), expected,
                tolerances.grads);
        }
      }
    }
    for (const name of Object.keys(grads)) {
      if (!(name in c.grads) && !(name in (c.own_param_grads ?? {}))) {
        report.checks++;
        report.failures.push(`gradient for '${name}' that the framework does not have`);
      }
    }
    tf.dispose(Object.values(grads));
  } catch (e) {
    report.failures.push(`threw: ${(e as Error).message}`);
  } finally {
    tf.dispose([x, dy, ...created]);
    if (layer?.built) layer.weights.forEach(w => w.dispose());
  }
  report.checks++;
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) report.failures.push(`${leaked} tensor(s) leaked`);
  return report;
}
