/**
 * The saved-model fixtures in models/ (written by `npm run fixtures`, never
 * by this test): each loads from its files and reproduces its stored
 * outputs, and each LayerNorm inside matches the float64 reference. cpu.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {LayerNorm, nodeFileSystem} from '../../src';
import {refForward} from '../conformance/reference';
import {expectClose} from './layer_helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const MODELS_DIR = path.resolve(__dirname, '../../models');

interface StoredIO {
  description: string;
  inputShape: number[];
  input: number[];
  outputShape: number[];
  output: number[];
}

/** name -> [LayerNorm layer names, axis of each, gamma shape of each] */
const FIXTURES: {[name: string]: Array<[string, number|number[], number[]]>} = {
  mlp_sequential: [['norm', -1, [16]]],
  transformer_block: [['norm_1', -1, [8]], ['norm_2', -1, [8]]],
  cnn_nchw: [['norm', 1, [4]]],
};

test('models/ holds exactly the fixtures checked here, each small', () => {
  // models/keras is checked by keras_models.test.ts.
  const dirs = fs.readdirSync(MODELS_DIR).filter(f => f !== 'keras' && fs.statSync(path.join(MODELS_DIR, f)).isDirectory());
  expect(dirs.sort()).toEqual(Object.keys(FIXTURES).sort());
  for (const dir of dirs) {
    const files = fs.readdirSync(path.join(MODELS_DIR, dir)).sort();
    // weights.bin as committed, weights.<id>.bin once regenerated: the file model.json names.
    const json = JSON.parse(fs.readFileSync(path.join(MODELS_DIR, dir, 'model.json'), 'utf8'));
    expect(files).toEqual(['io.json', 'model.json', ...json.weightsManifest[0].paths].sort());
    for (const file of files) {
      expect(fs.statSync(path.join(MODELS_DIR, dir, file)).size).toBeLessThan(16 * 1024);
    }
  }
});

describe.each(Object.entries(FIXTURES))('%s', (name, norms) => {
  const dir = path.join(MODELS_DIR, name);
  const io: StoredIO = JSON.parse(fs.readFileSync(path.join(dir, 'io.json'), 'utf8'));

  test('reproduces the stored outputs (atol 1e-6, rtol 1e-5: the cpu kernels are deterministic)', async () => {
    const model = await tf.loadLayersModel(nodeFileSystem(path.join(dir, 'model.json')));
    const before = tf.memory().numTensors;
    const x = tf.tensor(io.input, io.inputShape);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual(io.outputShape);
    expectClose(y.dataSync(), io.output, 1e-6, 1e-5);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  test('its LayerNorm layers: config as saved, and outputs equal to the float64 reference', async () => {
    const model = await tf.loadLayersModel(nodeFileSystem(dir));
    for (const [layerName, axis, gammaShape] of norms) {
      const layer = model.getLayer(layerName) as LayerNorm;
      expect(layer).toBeInstanceOf(LayerNorm);
      expect(layer.getConfig().axis).toEqual(axis);
      const [gamma, beta] = layer.getWeights();
      expect(gamma.shape).toEqual(gammaShape);
      // The stored gamma is not the ones it started from.
      expect(Array.from(gamma.dataSync()).some(g => Math.abs(g - 1) > 0.05)).toBe(true);

      // The layer's own input and output inside the loaded model.
      const probe = tf.model({
        inputs: model.inputs,
        outputs: [layer.input as tf.SymbolicTensor, layer.output as tf.SymbolicTensor],
      });
      const [inside, out] = probe.predict(tf.tensor(io.input, io.inputShape)) as tf.Tensor[];
      const expected = refForward(inside.dataSync(), inside.shape, axis, gamma.dataSync(), beta.dataSync(),
                                  layer.epsilon);
      expectClose(out.dataSync(), expected.y, 1e-5, 1e-5);
      tf.dispose([inside, out]);
    }
    model.dispose();
  });
});
