/**
 * Trains the same small model twice on the active backend, once through our
 * kernels and once with the composite forced (what tfjs-node runs), so a
 * test can require that both train alike.
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {normalData} from '../conformance/reference';

export interface TrainingRun {
  losses: number[];
  weights: number[][];
}

const EPOCHS = 4;

/** A small regression model around the LayerNorm layer; same seeds every call. */
function makeModel(): tf.Sequential {
  const model = tf.sequential({layers: [
    tf.layers.dense({units: 16, activation: 'tanh', inputShape: [6],
                     kernelInitializer: tf.initializers.glorotUniform({seed: 7})}),
    lib.layerNormLayer({name: 'norm'}),
    tf.layers.dense({units: 1, kernelInitializer: tf.initializers.glorotUniform({seed: 8})}),
  ]});
  model.compile({optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError'});
  return model;
}

async function train(forceComposite: boolean): Promise<TrainingRun> {
  tf.env().set(lib.FORCE_COMPOSITE_FLAG, forceComposite);
  try {
    const model = makeModel();
    const xs = tf.tensor(normalData(64 * 6, 41), [64, 6]);
    const ys = tf.tensor(normalData(64, 42), [64, 1]);
    const history = await model.fit(xs, ys, {epochs: EPOCHS, batchSize: 16, shuffle: false, verbose: 0});
    const weights = model.getWeights().map(w => Array.from(w.dataSync()));
    tf.dispose([xs, ys]);
    model.optimizer.dispose();
    model.dispose();
    return {losses: history.history.loss as number[], weights};
  } finally {
    tf.env().set(lib.FORCE_COMPOSITE_FLAG, false);
  }
}

/**
 * Both runs must lower the loss, leave no tensor behind, and agree within
 * `tolerance` in every epoch's loss and every final weight: both paths are
 * float32 and differ by rounding only, which four epochs of SGD carry into
 * the weights at the 1e-6 level.
 */
export async function expectKernelsAndCompositeTrainAlike(tolerance = 1e-4): Promise<void> {
  const before = tf.memory().numTensors;
  const viaKernels = await train(false);
  const viaComposite = await train(true);
  expect(tf.memory().numTensors).toBe(before);
  for (const run of [viaKernels, viaComposite]) {
    expect(run.losses[EPOCHS - 1]).toBeLessThan(run.losses[0]);
  }
  viaKernels.losses.forEach((loss, i) =>
      expect(Math.abs(viaComposite.losses[i] - loss)).toBeLessThan(tolerance * Math.max(1, loss)));
  viaKernels.weights.forEach((w, i) => {
    const worst = w.reduce((m, v, j) => Math.max(m, Math.abs(viaComposite.weights[i][j] - v)), 0);
    expect(worst).toBeLessThan(tolerance);
  });
}
