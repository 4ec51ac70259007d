/**
 * Fused forward LayerNorm for the `cpu` backend: per normalized group, one
 * pass for the mean and one for the squared deviations (two-pass, float64
 * accumulators), then one pass writing y. No full-size temporaries.
 */
import * as tf from '@tensorflow/tfjs';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';

import {LayerNormAttrs, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {groupOffsets, layerNormGeometry, statsShape} from '../../layer_norm_util';

export function layerNorm(args: {
  inputs: LayerNormInputs,
  backend: MathBackendCPU,
  attrs: LayerNormAttrs
}): tf.TensorInfo[] {
  const {inputs: {x, gamma, beta}, backend, attrs: {axis, epsilon}} = args;
  const xValues = readValues(backend, x);
  const gammaValues = readValues(backend, gamma);
  const betaValues = readValues(backend, beta);
  const geometry = layerNormGeometry(x.shape, axis);
  const {outerSize, innerSize} = geometry;

  const y = new Float32Array(outerSize * innerSize);
  const mean = new Float32Array(outerSize);
  const invStd = new Float32Array(outerSize);
  // Trailing axes: group r is the contiguous slice [r * n, (r + 1) * n).
  // Other layouts read through offset tables: element j of group r is at
  // rowStarts[r] + columnOffsets[j]. Both are O(rows + group) in size.
  const rowStarts = geometry.isTrailing ? null : groupOffsets(geometry, false);
  const columnOffsets =
      geometry.isTrailing ? null : groupOffsets(geometry, true);

  for (let r = 0; r < outerSize; r++) {
    const start = rowStarts == null ? r * innerSize : rowStarts[r];
    let sum = 0;
    for (let j = 0; j < innerSize; j++) {
      sum += xValues[columnOffsets == null ? start + j :
                                             start + columnOffsets[j]];
    }
    const rowMean = sum / innerSize;
    let squares = 0;
    for (let j = 0; j < innerSize; j++) {
      const d = xValues[columnOffsets == null ? start + j :
                                                start + columnOffsets[j]] -
          rowMean;
      squares += d * d;
    }
    const rowInvStd = 1 / Math.sqrt(squares / innerSize + epsilon);
    mean[r] = rowMean;
    invStd[r] = rowInvStd;
    for (let j = 0; j < innerSize; j++) {
      const i = columnOffsets == null ? start + j : start + columnOffsets[j];
      y[i] = (xValues[i] - rowMean) * rowInvStd * gammaValues[j] +
          betaValues[j];
    }
  }

  const statShape = statsShape(x.shape, axis);
  return [
    backend.makeTensorInfo(x.shape, 'float32', y),
    backend.makeTensorInfo(statShape, 'float32', mean),
    backend.makeTensorInfo(statShape, 'float32', invStd),
  ];
}

/** The values of a tensor held by the cpu backend, without a copy. */
export function readValues(backend: MathBackendCPU, t: tf.TensorInfo):
    tf.TypedArray {
  return backend.data.get(t.dataId).values as tf.TypedArray;
}

export const layerNormConfig: tf.KernelConfig = {
  kernelName: LayerNormKernel,
  backendName: 'cpu',
  kernelFunc: layerNorm as unknown as tf.KernelFunc,
};
