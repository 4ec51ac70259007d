/**
 * The TF.js side of the Keras round trip: models holding LayerNorm, trained
 * here with model.fit and saved to <out>/<name>/ with their predictions and
 * training data (io.json). python/make_models.py runs it, then converts
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
  for (const [index, spec] of MODELS.entries()) {
    await trainAndSave(out, spec, index);
  }
}

interface Spec {
  name: string;
  description: string;
  inner: number[];
  build: () => tf.Sequential;
}

const glorot = (seed: number) => tf.initializers.glorotUniform({seed});

const MODELS: Spec[] = [
  {
    name: 'tfjs_trained',
    description: 'Dense(8, relu) on [4, 6] -> LayerNorm(axis [1, 2]) -> Flatten -> Dense(3)',
    inner: [4, 6],
    build: () => tf.sequential({name: 'tfjs_trained', layers: [
      tf.layers.dense({units: 8, activation: 'relu', inputShape: [4, 6], kernelInitializer: glorot(1), name: 'hidden'}),
      layerNormLayer({axis: [1, 2], name: 'norm'}),
      tf.layers.flatten({name: 'flat'}),
      tf.layers.dense({units: 3, kernelInitializer: glorot(2), name: 'out'}),
    ]}),
  },
  {
    name: 'tfjs_trained_mlp',
    description: 'Dense(8, relu) on [6] -> LayerNorm(-1, epsilon 1e-4) -> Dense(3)',
    inner: [6],
    build: () => tf.sequential({name: 'tfjs_trained_mlp', layers: [
      tf.layers.dense({units: 8, activation: 'relu', inputShape: [6], kernelInitializer: glorot(3), name: 'hidden'}),
      layerNormLayer({epsilon: 1e-4, name: 'norm'}),
      tf.layers.dense({units: 3, kernelInitializer: glorot(4), name: 'out'}),
    ]}),
  },
];

async function trainAndSave(out: string, spec: Spec, index: number) {
  const model = spec.build();
  model.compile({optimizer: tf.train.adam(0.01), loss: 'meanSquaredError'});
  const samples = 32;
  const size = spec.inner.reduce((a, b) => a * b, 1);
  const xData = normalData(samples * size, 11 + 10 * index);
  const tData = normalData(samples * 3, 12 + 10 * index);
  const x = tf.tensor(xData, [samples, ...spec.inner]);
  const t = tf.tensor(tData, [samples, 3]);
  const history = await model.fit(x, t, {epochs: 20, batchSize: 8, shuffle: false, verbose: 0});
  const y = model.predict(x) as tf.Tensor;
  const dir = path.join(out, spec.name);
  fs.rmSync(dir, {recursive: true, force: true});
  await model.save(nodeFileSystem(dir));
  const io = {
    description: `Trained in TF.js (model.fit, adam 0.01, 20 epochs, MSE): ${spec.description}`,
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
  tf.dispose([x, t, y]);
  model.dispose();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
