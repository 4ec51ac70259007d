/**
 * Generates models/<name>/{model.json, weights.bin, io.json}: models holding
 * LayerNorm, saved by this package, with stored inputs and the outputs the
 * cpu backend gave for them. Run by `npm run fixtures` (scripts/make_fixtures.js);
 * checked by test/node/layer_fixtures.test.ts, which never writes them.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {LayerNorm, layerNormLayer, nodeFileSystem} from '../src';
import {normalData} from '../test/conformance/reference';

const MODELS_DIR = path.resolve(__dirname, '../models');

interface Fixture {
  name: string;
  description: string;
  build: () => tf.LayersModel;
  inputShape: number[];
}

const glorot = (seed: number) => tf.initializers.glorotUniform({seed});

const FIXTURES: Fixture[] = [
  {
    name: 'mlp_sequential',
    description: 'Sequential MLP: Dense(16, relu) -> LayerNorm (last axis) -> Dense(4)',
    inputShape: [4, 8],
    build: () => tf.sequential({name: 'mlp', layers: [
      tf.layers.dense({units: 16, activation: 'relu', inputShape: [8], kernelInitializer: glorot(1), name: 'hidden'}),
      layerNormLayer({name: 'norm'}),
      tf.layers.dense({units: 4, kernelInitializer: glorot(2), name: 'out'}),
    ]}),
  },
  {
    name: 'transformer_block',
    description: 'Functional attention-free transformer block on [seq 5, d 8]: ' +
        'x + Dense(8) -> LayerNorm(-1) -> h + Dense(8)(Dense(16, relu)(h)) -> LayerNorm(-1)',
    inputShape: [2, 5, 8],
    build: () => {
      const x = tf.input({shape: [5, 8], name: 'tokens'});
      const mixed = tf.layers.dense({units: 8, kernelInitializer: glorot(3), name: 'mix'}).apply(x);
      const h = layerNormLayer({name: 'norm_1', epsilon: 1e-6}).apply(
          tf.layers.add({name: 'residual_1'}).apply([x, mixed] as tf.SymbolicTensor[]));
      const ff = tf.layers.dense({units: 8, kernelInitializer: glorot(5), name: 'ff_out'}).apply(
          tf.layers.dense({units: 16, activation: 'relu', kernelInitializer: glorot(4), name: 'ff_in'}).apply(h));
      const y = layerNormLayer({name: 'norm_2', axis: -1}).apply(
          tf.layers.add({name: 'residual_2'}).apply([h, ff] as tf.SymbolicTensor[]));
      return tf.model({inputs: x, outputs: y as tf.SymbolicTensor, name: 'block'});
    },
  },
  {
    name: 'cnn_nchw',
    description: 'Small CNN on NCHW [3, 6, 6]: Conv2D(4, 3x3, channelsFirst) -> ' +
        'LayerNorm(axis 1, MXNet\'s channel axis) -> ReLU -> GlobalAveragePooling2D -> Dense(3)',
    inputShape: [2, 3, 6, 6],
    build: () => tf.sequential({name: 'cnn', layers: [
      tf.layers.conv2d({filters: 4, kernelSize: 3, padding: 'same', dataFormat: 'channelsFirst',
                        inputShape: [3, 6, 6], kernelInitializer: glorot(6), name: 'conv'}),
      layerNormLayer({axis: 1, inChannels: 4, name: 'norm'}),
      tf.layers.reLU({name: 'relu'}),
      tf.layers.globalAveragePooling2d({dataFormat: 'channelsFirst', name: 'pool'}),
      tf.layers.dense({units: 3, kernelInitializer: glorot(7), name: 'out'}),
    ]}),
  },
];

async function main() {
  await tf.setBackend('cpu');
  for (const [index, fixture] of FIXTURES.entries()) {
    const model = fixture.build();
    // Gamma and beta away from their ones/zeros start, so a loader that
    // dropped them would be caught.
    for (const layer of model.layers) {
      if (layer instanceof LayerNorm) {
        const [gamma, beta] = layer.weights.map(w => w.shape as number[]);
        const size = gamma.reduce((a, b) => a * b, 1);
        layer.setWeights([
          tf.tensor(normalData(size, 100 + index, 0.3, 1), gamma),
          tf.tensor(normalData(size, 200 + index, 0.2), beta),
        ]);
      }
    }
    const size = fixture.inputShape.reduce((a, b) => a * b, 1);
    const input = normalData(size, 300 + index, 1.5, 0.25);
    const output = model.predict(tf.tensor(input, fixture.inputShape)) as tf.Tensor;
    const dir = path.join(MODELS_DIR, fixture.name);
    fs.rmSync(dir, {recursive: true, force: true});
    await model.save(nodeFileSystem(dir));
    const io = {
      description: fixture.description,
      generatedBy: 'npm run fixtures (scripts/make_fixtures.ts), cpu backend',
      inputShape: fixture.inputShape,
      input: Array.from(input),
      outputShape: output.shape,
      output: Array.from(output.dataSync()),
    };
    fs.writeFileSync(path.join(dir, 'io.json'), JSON.stringify(io, null, 1) + '\n');
    const bytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    console.log(`wrote ${path.relative(process.cwd(), dir)}/ (${(bytes / 1024).toFixed(1)} KB): ${fixture.description}`);
    output.dispose();
    model.dispose();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
