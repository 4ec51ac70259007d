/**
 * `npm run demo` (bundled and run by scripts/demo.js): trains a small
 * classifier with a LayerNorm layer on the cpu backend, saves it to files,
 * reloads it and checks the reloaded model gives the trained model's outputs.
 * Usage: npm run demo [-- OUTPUT_DIR]   (default .out/demo/model)
 * DEMO_BACKEND=tensorflow runs it on tfjs-node (which must be installed).
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {LayerNorm, layerNormLayer, nodeFileSystem} from '../src';

const FEATURES = 10, CLASSES = 3, SAMPLES = 600, EPOCHS = 12;

/** Deterministic PRNG (mulberry32): the demo prints the same numbers every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Three classes around random centres, with features on very different
 * scales (1 to 100): the kind of input where normalizing activations helps.
 */
function dataset() {
  const rand = random(42);
  const scale = Array.from({length: FEATURES}, (_, i) => 10 ** (2 * i / (FEATURES - 1)));
  const centres = Array.from({length: CLASSES}, () => Array.from({length: FEATURES}, () => rand() * 2 - 1));
  const x = new Float32Array(SAMPLES * FEATURES), labels = new Int32Array(SAMPLES);
  for (let s = 0; s < SAMPLES; s++) {
    const c = s % CLASSES;
    labels[s] = c;
    for (let f = 0; f < FEATURES; f++) {
      x[s * FEATURES + f] = (centres[c][f] + 0.6 * (rand() + rand() + rand() - 1.5)) * scale[f];
    }
  }
  return {xs: tf.tensor2d(x, [SAMPLES, FEATURES]), ys: tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES)};
}

async function main() {
  const backend = process.env.DEMO_BACKEND ?? 'cpu';
  if (backend === 'tensorflow') require('@tensorflow/tfjs-node');
  if (!await tf.setBackend(backend)) throw new Error(`DEMO_BACKEND: backend '${backend}' did not start`);
  const outDir = path.resolve(process.argv[2] ?? '.out/demo/model');
  const glorot = (seed: number) => tf.initializers.glorotUniform({seed});

  const model = tf.sequential({name: 'demo', layers: [
    tf.layers.dense({units: 32, activation: 'relu', inputShape: [FEATURES], kernelInitializer: glorot(1), name: 'hidden'}),
    layerNormLayer({name: 'layer_norm'}),  // axis -1, epsilon 1e-5, gamma and beta
    tf.layers.dense({units: CLASSES, activation: 'softmax', kernelInitializer: glorot(2), name: 'classes'}),
  ]});
  model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy']});

  const {xs, ys} = dataset();
  console.log(`Training on ${SAMPLES} samples, ${FEATURES} features (scales 1..100), ${CLASSES} classes, backend ${tf.getBackend()}`);
  await model.fit(xs, ys, {
    epochs: EPOCHS, batchSize: 32, shuffle: false,
    callbacks: {
      onEpochEnd: async (epoch, logs) => {
        console.log(`epoch ${String(epoch + 1).padStart(2)}/${EPOCHS}  loss ${logs!.loss.toFixed(4)}  accuracy ${logs!.acc.toFixed(3)}`);
      },
    },
  });

  console.log();
  model.summary();
  const norm = model.getLayer('layer_norm') as LayerNorm;
  const [gamma, beta] = norm.getWeights();
  console.log(`layer_norm learned gamma in [${gamma.min().dataSync()[0].toFixed(3)}, ${gamma.max().dataSync()[0].toFixed(3)}], ` +
              `beta in [${beta.min().dataSync()[0].toFixed(3)}, ${beta.max().dataSync()[0].toFixed(3)}]`);

  await model.save(nodeFileSystem(outDir));
  console.log(`\nSaved to ${outDir}:`);
  for (const file of fs.readdirSync(outDir).sort()) {
    console.log(`  ${path.join(outDir, file)}  (${fs.statSync(path.join(outDir, file)).size} bytes)`);
  }

  const reloaded = await tf.loadLayersModel(nodeFileSystem(path.join(outDir, 'model.json')));
  const trained = (model.predict(xs) as tf.Tensor).dataSync();
  const again = (reloaded.predict(xs) as tf.Tensor).dataSync();
  let maxDiff = 0;
  for (let i = 0; i < trained.length; i++) maxDiff = Math.max(maxDiff, Math.abs(trained[i] - again[i]));
  const accuracy = tf.tidy(() => tf.mean(tf.cast(tf.equal(
      tf.argMax(reloaded.predict(xs) as tf.Tensor, 1), tf.argMax(ys, 1)), 'float32')).dataSync()[0]);
  console.log(`\nReloaded ${reloaded.layers.map(l => `${l.name} (${l.getClassName()})`).join(' -> ')}`);
  console.log(`Reloaded model accuracy ${accuracy.toFixed(3)}`);
  if (maxDiff !== 0) {
    console.error(`FAIL: reloaded outputs differ from the trained model's: max |diff| ${maxDiff} over ${trained.length} values`);
    process.exit(1);
  }
  console.log(`OK: reloaded outputs equal the trained model's (max |diff| 0 over ${trained.length} values)`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
