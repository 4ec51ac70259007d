/**
 * The TF.js side of the Keras round trip: a model holding LayerNorm, trained
 * here with model.fit and saved to <out>/tfjs_trained/ with its predictions
 * and training data (io.json). python/make_models.py runs it, then converts
 * the model to Keras and checks it there.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {layerNormLayer, nodeFileSystem} from '../src';
import {normalData} from '../test/conformance/reference';

async function main() {
  const out = process.argv[2];
  if (!out) {
    throw new Error('usage: keras_tfjs_trained <output folder>');
  }
  await tf.setBackend('cpu');
  const glorot = (seed: number) => tf.initializers.glorotUniform({seed});
  const model = tf.sequential({name: 'tfjs_trained', layers: [
    tf.layers.dense({units: 8, activation: 'relu', inputShape: [4, 6], kernelInitializer: glorot(1), name: 'hidden'}),
    layerNormLayer({axis: [1, 2], name: 'norm'}),
    tf.layers.flatten({name: 'flat'}),
    tf.layers.dense({units: 3, kernelInitializer: glorot(2), name: 'out'}),
  ]});
  model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
  const samples = 32;
  const xData = normalData(samples * 24, 11);
  const tData = normalData(samples * 3, 12);
  const x = tf.tensor(xData, [samples, 4, 6]);
  const t = tf.tensor(tData, [samples, 3]);
  const history = await model.fit(x, t, {epochs: 20, batchSize: 8, shuffle: false, verbose: 0});
  const y = model.predict(x) as tf.Tensor;
  const dir = path.join(out, 'tfjs_trained');
  fs.rmSync(dir, {recursive: true, force: true});
  await model.save(nodeFileSystem(dir));
  const io = {
    description: 'Trained in TF.js (model.fit, adam 0.01, 20 epochs, MSE): Dense(8, relu) on [4, 6] -> ' +
        'LayerNorm(axis [1, 2]) -> Flatten -> Dense(3)',
    generatedBy: 'scripts/keras_tfjs_trained.ts (run by python/make_models.py), cpu backend',
    inputShape: x.shape,
    input: Array.from(xData),
    target: Array.from(tData),
    targetShape: t.shape,
    loss: history.history.loss,
    outputShape: y.shape,
    output: Array.from(y.dataSync()),
  };
  fs.writeFileSync(path.join(dir, 'io.json'), JSON.stringify(io, null, 1) + '\n');
  console.log(`wrote ${dir} (loss ${(io.loss[0] as number).toFixed(4)} -> ${(io.loss.at(-1) as number).toFixed(4)})`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
