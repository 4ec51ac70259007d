/**
 * A soak: 10,000 training steps of a small model around the LayerNorm layer
 * on the active backend, `fit` in chunks, recording after each chunk the
 * live tensor count and the process's resident memory (after a full GC).
 */
import * as v8 from 'v8';
import * as vm from 'vm';

import * as tf from '@tensorflow/tfjs';

import {layerNormLayer} from '../../src';
import {normalData} from '../conformance/reference';

export const STEPS = 10000;
const CHUNKS = 10;
const BATCH = 4;
const FEATURES = 8;

/** A full collection, so resident memory reflects what is still held. */
function collectGarbage() {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

export interface SoakRecord {
  steps: number;
  numTensors: number;
  rss: number;
}

export async function soak(): Promise<{records: SoakRecord[], finalLoss: number}> {
  // As small as a model with the layer gets: each step costs mostly fit's own overhead.
  const model = tf.sequential({layers: [
    layerNormLayer({name: 'norm', inputShape: [FEATURES]}),
    tf.layers.dense({units: 1, kernelInitializer: tf.initializers.glorotUniform({seed: 82})}),
  ]});
  model.compile({optimizer: tf.train.sgd(1e-2), loss: 'meanSquaredError'});
  const rows = (STEPS / CHUNKS) * BATCH;
  const xs = tf.tensor(normalData(rows * FEATURES, 83), [rows, FEATURES]);
  const ys = tf.tensor(normalData(rows, 84), [rows, 1]);
  const records: SoakRecord[] = [];
  let finalLoss = NaN;
  for (let chunk = 1; chunk <= CHUNKS; chunk++) {
    const history = await model.fit(xs, ys, {batchSize: BATCH, epochs: 1, shuffle: false, yieldEvery: 'never'});
    finalLoss = history.history['loss'][0] as number;
    collectGarbage();
    records.push({steps: chunk * rows / BATCH, numTensors: tf.memory().numTensors,
                  rss: process.memoryUsage().rss});
  }
  tf.dispose([xs, ys]);
  model.optimizer.dispose();
  model.dispose();
  return {records, finalLoss};
}

/** Flat tensor count and RSS within 10% of its value after the first chunk (the warm-up). */
export function expectFlat(records: SoakRecord[]) {
  expect(records[records.length - 1].steps).toBe(STEPS);
  const [warm, ...rest] = records;
  for (const r of rest) {
    expect({steps: r.steps, numTensors: r.numTensors}).toEqual({steps: r.steps, numTensors: warm.numTensors});
    expect(r.rss / warm.rss).toBeLessThan(1.1);
  }
}
