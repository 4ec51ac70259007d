/** Shared by the LayerNorm layer's tests: float64 helpers and save/load plumbing. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {compare} from '../conformance/reference';

/** Fails with the worst element when |a - e| > atol + rtol |e| anywhere. */
export function expectClose(
    actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number,
    rtol: number) {
  const worst = compare(actual, expected, atol, rtol);
  if (!(worst.ratio <= 1)) {
    throw new Error(`mismatch (atol ${atol}, rtol ${rtol}): at ${
        worst.index} got ${worst.actual}, expected ${worst.expected} (ratio ${
        worst.ratio.toFixed(2)}, lengths ${actual.length} / ${
        expected.length})`);
  }
}

/**
 * Float64 dense layer over the last axis: x [rows, inUnits] (row-major) times
 * kernel [inUnits, units] plus bias, then `activation`.
 */
export function refDense(
    x: ArrayLike<number>, inUnits: number, kernel: ArrayLike<number>,
    bias: ArrayLike<number>|null, activation: 'linear'|'relu' = 'linear'):
    Float64Array {
  const units = kernel.length / inUnits;
  const rows = x.length / inUnits;
  const out = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      let sum = bias ? bias[u] : 0;
      for (let i = 0; i < inUnits; i++) {
        sum += x[r * inUnits + i] * kernel[i * units + u];
      }
      out[r * units + u] = activation === 'relu' ? Math.max(0, sum) : sum;
    }
  }
  return out;
}

/** Saves a model to memory (what model.save hands an IOHandler). */
export async function saveToMemory(model: tf.LayersModel):
    Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts|null = null;
  await model.save(tf.io.withSaveHandler(async a => {
    artifacts = a;
    return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a)};
  }));
  if (artifacts == null) {
    throw new Error('model.save did not call the save handler');
  }
  return artifacts;
}

/** A fresh temporary directory, removed by `removeTempDirs`. */
const tempDirs: string[] = [];
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-layernorm-'));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs() {
  for (const dir of tempDirs.splice(0)) {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

/** A model's single output for x, as a Float32Array; disposes the tensor. */
export function predictData(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  const y = model.predict(x) as tf.Tensor;
  const data = y.dataSync() as Float32Array;
  y.dispose();
  return data;
}
