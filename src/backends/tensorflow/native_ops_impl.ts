/**
 * TensorFlow eager ops called through tfjs-node's binding (no TF.js op around them), and the folded
 * layout the kernels work in. Nothing of tfjs-node (an optional peer) is imported.
 */
import * as tf from '@tensorflow/tfjs';

interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** What the kernels use of tfjs-node's `NodeJSKernelBackend`. */
export interface TensorflowBackend extends tf.KernelBackend {
  binding: {
    TF_FLOAT: number; TF_INT32: number; TF_ATTR_TYPE: number; TF_ATTR_FLOAT: number;
    TF_ATTR_BOOL: number; TF_ATTR_STRING: number;
  };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.TensorInfo[], numOutputs: number):
      tf.Tensor[];
}

/** float32 TensorFlow ops; call inside a `tf.tidy`. */
export class NativeOps {
  private readonly b: TensorflowBackend['binding'];
  private readonly float: OpAttr;

  constructor(private readonly backend: TensorflowBackend) {
    this.b = backend.binding;
    this.float = {name: 'T', type: this.b.TF_ATTR_TYPE, value: this.b.TF_FLOAT};
  }

  private typeAttr(name: string, dtype: number): OpAttr {
    return {name, type: this.b.TF_ATTR_TYPE, value: dtype};
  }

  private op(name: string, inputs: tf.TensorInfo[], attrs: OpAttr[] = []): tf.Tensor {
    return this.backend.executeSingleOutput(name, [this.float, ...attrs], inputs);
  }

  private int32(values: number[]): tf.Tensor {
    return tf.tensor1d(values, 'int32');
  }

  /** x itself when float32 (an input is only read), else a float32 copy. */
  toFloat(x: tf.TensorInfo): tf.TensorInfo {
    if (x.dtype === 'float32') return x;
    return this.backend.executeSingleOutput('Cast', [
      this.typeAttr('SrcT', this.b.TF_INT32), this.typeAttr('DstT', this.b.TF_FLOAT),
      {name: 'Truncate', type: this.b.TF_ATTR_BOOL, value: false},
    ], [x]);
  }

  scalar(value: number): tf.Tensor {
    return tf.scalar(value, 'float32');
  }

  add(a: tf.TensorInfo, b: tf.TensorInfo) { return this.op('AddV2', [a, b]); }
  sub(a: tf.TensorInfo, b: tf.TensorInfo) { return this.op('Sub', [a, b]); }
  mul(a: tf.TensorInfo, b: tf.TensorInfo) { return this.op('Mul', [a, b]); }
  rsqrt(a: tf.TensorInfo) { return this.op('Rsqrt', [a]); }
  square(a: tf.TensorInfo) { return this.op('Square', [a]); }
  abs(a: tf.TensorInfo) { return this.op('Abs', [a]); }
  maximum(a: tf.TensorInfo, b: tf.TensorInfo) { return this.op('Maximum', [a, b]); }
  div(a: tf.TensorInfo, b: tf.TensorInfo) { return this.op('RealDiv', [a, b]); }

  /** a where it is finite and non-zero, else 1. */
  finiteNonZeroOrOne(a: tf.TensorInfo): tf.Tensor {
    const one = this.op('OnesLike', [a]);
    const nonZero = this.op('SelectV2', [this.op('NotEqual', [a, this.op('ZerosLike', [a])]), a, one]);
    return this.op('SelectV2', [this.op('IsFinite', [a]), nonZero, one]);
  }

  /** a where finite, else 0. */
  finiteOrZero(a: tf.TensorInfo): tf.Tensor {
    return this.op('SelectV2', [this.op('IsFinite', [a]), a, this.op('ZerosLike', [a])]);
  }

  private reduce(name: string, a: tf.TensorInfo, axes: number[], keepDims: boolean): tf.Tensor {
    return this.op(name, [a, this.int32(axes)], [
      this.typeAttr('Tidx', this.b.TF_INT32),
      {name: 'keep_dims', type: this.b.TF_ATTR_BOOL, value: keepDims},
    ]);
  }
  /** sqrt of the sum of squares over `axes`. */
  euclideanNorm(a: tf.TensorInfo, axes: number[], keepDims = true) { return this.reduce('EuclideanNorm', a, axes, keepDims); }
  mean(a: tf.TensorInfo, axes: number[], keepDims = true) { return this.reduce('Mean', a, axes, keepDims); }
  max(a: tf.TensorInfo, axes: number[], keepDims = true) { return this.reduce('Max', a, axes, keepDims); }
  sum(a: tf.TensorInfo, axes: number[], keepDims = true) { return this.reduce('Sum', a, axes, keepDims); }

  /** `a` itself when it has that shape already. */
  reshape(a: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    if (tf.util.arraysEqual(a.shape, shape)) return a;
    return this.op('Reshape', [a, this.int32(shape)], [this.typeAttr('Tshape', this.b.TF_INT32)]);
  }

  slice(a: tf.TensorInfo, begin: number[], size: number[]): tf.Tensor {
    return this.op('Slice', [a, this.int32(begin), this.int32(size)], [this.typeAttr('Index', this.b.TF_INT32)]);
  }

  private batchNormAttrs(epsilon: number, dataFormat: 'NHWC'|'NCHW', isTraining: boolean): OpAttr[] {
    return [
      this.float, this.typeAttr('U', this.b.TF_FLOAT),
      {name: 'epsilon', type: this.b.TF_ATTR_FLOAT, value: epsilon},
      {name: 'data_format', type: this.b.TF_ATTR_STRING, value: dataFormat},
      {name: 'is_training', type: this.b.TF_ATTR_BOOL, value: isTraining},
    ];
  }

  /** FusedBatchNormV3: [y, batchMean, batchVariance (Bessel-corrected), reserve1, reserve2, reserve3]. */
  fusedBatchNorm(
      x4: tf.TensorInfo, scale: tf.TensorInfo, offset: tf.TensorInfo, mean: tf.TensorInfo,
      variance: tf.TensorInfo, epsilon: number, dataFormat: 'NHWC'|'NCHW', isTraining: boolean): tf.Tensor[] {
    const attrs = [...this.batchNormAttrs(epsilon, dataFormat, isTraining),
                   {name: 'exponential_avg_factor', type: this.b.TF_ATTR_FLOAT, value: 1}];
    return this.backend.executeMultipleOutputs('FusedBatchNormV3', attrs, [x4, scale, offset, mean, variance], 6);
  }

  /** FusedBatchNormGradV3; returns [dx, dScale, dOffset, reserve4, reserve5]. */
  fusedBatchNormGrad(
      dy4: tf.TensorInfo, x4: tf.TensorInfo, scale: tf.TensorInfo, mean: tf.TensorInfo,
      variance: tf.TensorInfo, reserve3: tf.TensorInfo, epsilon: number, dataFormat: 'NHWC'|'NCHW',
      isTraining: boolean): tf.Tensor[] {
    return this.backend.executeMultipleOutputs(
        'FusedBatchNormGradV3', this.batchNormAttrs(epsilon, dataFormat, isTraining),
        [dy4, x4, scale, mean, variance, reserve3], 5);
  }
}

/** x's axes folded (TensorFlow's broadcasting ops stop at rank 5): size-1 axes dropped, adjacent axes of one kind merged. */
export interface FoldedLayout {
  shape: number[];
  /** Normalized axes of `shape`. */
  axes: number[];
  /** Axes of `shape` that gamma and beta vary along. */
  featureAxes: number[];
  /** `shape` with the normalized axes set to 1 (mean and invStd). */
  statsShape: number[];
  /** `shape` with all but the feature axes set to 1 (gamma and beta broadcast). */
  paramShape: number[];
  /** Axes that dGamma and dBeta sum over. */
  nonFeatureAxes: number[];
  groupCount: number;
  groupLength: number;
  /** shape is [groupCount, groupLength] with gamma per column: the batch-norm routes apply. */
  rowsWithColumnParams: boolean;
}

export function foldedLayout(
    xShape: readonly number[], axis: readonly number[], featureAxes: readonly number[]): FoldedLayout {
  const kinds: Array<{size: number, normalized: boolean, feature: boolean}> = [];
  xShape.forEach((size, i) => {
    if (size === 1) return;
    const normalized = axis.includes(i), feature = featureAxes.includes(i);
    const last = kinds[kinds.length - 1];
    if (last != null && last.normalized === normalized && last.feature === feature) {
      last.size *= size;
    } else {
      kinds.push({size, normalized, feature});
    }
  });
  if (kinds.length === 0 || !kinds.some(k => k.normalized)) {
    // Every normalized axis has size 1: keep one so the reductions have an axis.
    kinds.push({size: 1, normalized: true, feature: true});
  }
  const shape = kinds.map(k => k.size);
  const axes = kinds.flatMap((k, i) => k.normalized ? [i] : []);
  const features = kinds.flatMap((k, i) => k.feature ? [i] : []);
  const groupLength = axes.reduce((p, a) => p * shape[a], 1);
  const groupCount = shape.reduce((p, s) => p * s, 1) / Math.max(groupLength, 1);
  return {
    shape,
    axes,
    featureAxes: features,
    statsShape: shape.map((s, i) => axes.includes(i) ? 1 : s),
    paramShape: shape.map((s, i) => features.includes(i) ? s : 1),
    nonFeatureAxes: shape.flatMap((_, i) => features.includes(i) ? [] : [i]),
    groupCount: xShape.some(s => s === 0) ? 0 : groupCount,
    groupLength,
    rowsWithColumnParams: axes.length === 1 && axes[0] === shape.length - 1 &&
        features.length === 1 && features[0] === axes[0] && shape.length <= 2,
  };
}

export function allZero(t: tf.TensorInfo): boolean {
  const values = tf.engine().readSync(t.dataId) as Float32Array;
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== 0) return false;
  }
  return true;
}
