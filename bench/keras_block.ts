/**
 * `npm run bench keras_block`: a converted Keras transformer block
 * (models/keras/keras3_transformer_builtin, keras.layers.LayerNormalization
 * x2) on the cpu backend, TF.js's built-in LayerNormalization vs the same
 * model after useFusedLayerNormalization(): whole-model predict and one
 * trainOnBatch (fit) step, median wall time.
 */
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {kerasCompatible, nodeFileSystem, useFusedLayerNormalization} from '../src';
import {measure} from './common';

const MODEL = path.resolve(__dirname, '../models/keras/keras3_transformer_builtin/model.json');
const BATCHES = [64, 1024];
const BUDGET_MS = 2000;

async function medianFitStepMs(model: tf.LayersModel, x: tf.Tensor, t: tf.Tensor): Promise<number> {
  await model.trainOnBatch(x, t);  // warm-up
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < BUDGET_MS && times.length < 100)) {
    const t0 = performance.now();
    await model.trainOnBatch(x, t);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function main() {
  await tf.setBackend('cpu');
  const model = await tf.loadLayersModel(kerasCompatible(nodeFileSystem(MODEL)));
  model.compile({optimizer: tf.train.sgd(1e-3), loss: 'meanSquaredError'});
  const inner = model.inputs[0].shape.slice(1) as number[];
  console.log(`\nConverted Keras transformer block (${MODEL.split(path.sep).slice(-2, -1)[0]}), input [batch, ${
      inner}], cpu backend; median ms`);
  console.log('batch | predict built-in | predict fused | speed-up | fit step built-in | fit step fused | speed-up');
  for (const batch of BATCHES) {
    const x = tf.randomNormal([batch, ...inner], 0, 1, 'float32', 1);
    const t = tf.randomNormal([batch, ...inner], 0, 1, 'float32', 2);
    const predict = () => [model.predict(x) as tf.Tensor];
    const plainPredict = await measure(predict, {budgetMs: BUDGET_MS});
    const plainFit = await medianFitStepMs(model, x, t);
    const undo = useFusedLayerNormalization();
    let fusedPredict, fusedFit;
    try {
      fusedPredict = await measure(predict, {budgetMs: BUDGET_MS});
      fusedFit = await medianFitStepMs(model, x, t);
    } finally {
      undo();
    }
    const f = (v: number) => v.toFixed(2);
    console.log(`${batch} | ${f(plainPredict.medianMs)} | ${f(fusedPredict.medianMs)} | ${
        (plainPredict.medianMs / fusedPredict.medianMs).toFixed(2)}x | ${f(plainFit)} | ${f(fusedFit)} | ${
        (plainFit / fusedFit).toFixed(2)}x`);
    tf.dispose([x, t]);
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
