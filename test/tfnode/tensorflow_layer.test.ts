/**
 * The LayerNorm layer on tfjs-node's `tensorflow` backend: training,
 * save/load through tfjs-node's own `file://` handler and through this
 * package's `nodeFileSystem` (each reading what the other wrote), the
 * Keras-format fixtures in models/, and the demo.
 */
import {spawnSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {LayerNorm, layerNormLayer, nodeFileSystem} from '../../src';
import {normalData} from '../conformance/reference';
import {expectClose, predictData, removeTempDirs, tempDir} from '../node/layer_helpers';
import {expectKernelsAndCompositeTrainAlike} from '../shared/composite_training';

afterAll(removeTempDirs);

const MODELS_DIR = path.resolve(__dirname, '../../models');
const ROOT = path.resolve(__dirname, '../..');

function smallModel() {
  return tf.sequential({layers: [
    tf.layers.dense({units: 6, inputShape: [4], name: 'hidden'}),
    layerNormLayer({name: 'norm', gammaInitializer: {className: 'RandomNormal', config: {mean: 1, stddev: 0.3, seed: 1}},
                    betaInitializer: {className: 'RandomUniform', config: {minval: -0.5, maxval: 0.5, seed: 2}}}),
    tf.layers.dense({units: 2, name: 'out'}),
  ]});
}
const x = () => tf.tensor(normalData(12, 3, 1.5), [3, 4]);

test('model.fit: our kernels and the composite train alike (losses, weights within 1e-4), no leaks',
     () => expectKernelsAndCompositeTrainAlike());

test('file:// goes to tfjs-node\'s own handler (this package\'s router steps aside)', () => {
  // tfjs-node's handler class is not exported: compare with one it makes.
  const tfnodeHandler = require('@tensorflow/tfjs-node').io.fileSystem('/tmp/x');
  const saves = tf.io.getSaveHandlers('file:///tmp/x');
  const loads = tf.io.getLoadHandlers('file:///tmp/x/model.json');
  expect(saves).toHaveLength(1);
  expect(loads).toHaveLength(1);
  expect(saves[0].constructor).toBe(tfnodeHandler.constructor);
  expect(loads[0].constructor).toBe(tfnodeHandler.constructor);
  expect(nodeFileSystem('/tmp/x').constructor).not.toBe(tfnodeHandler.constructor);
});

test('saved through tfjs-node\'s file://, loaded through file:// and through nodeFileSystem', async () => {
  const model = smallModel();
  const dir = path.join(tempDir(), 'tfnode-saved');
  await model.save(`file://${dir}`);
  expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
  for (const source of [`file://${dir}/model.json`, nodeFileSystem(dir)]) {
    const loaded = await tf.loadLayersModel(source as string);
    expect(loaded.getLayer('norm')).toBeInstanceOf(LayerNorm);
    expect(loaded.getLayer('norm').getConfig()).toEqual(model.getLayer('norm').getConfig());
    expect(predictData(loaded, x())).toEqual(predictData(model, x()));
    loaded.dispose();
  }
  model.dispose();
});

test('saved through nodeFileSystem, loaded through tfjs-node\'s file://', async () => {
  const model = smallModel();
  const dir = path.join(tempDir(), 'ours-saved');
  await model.save(nodeFileSystem(dir));
  const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
  expect(predictData(loaded, x())).toEqual(predictData(model, x()));
  model.dispose();
  loaded.dispose();
});

// models/keras (converter output) is checked by test/node/keras_models.test.ts.
describe.each(fs.readdirSync(MODELS_DIR).filter(d => d !== 'keras' && fs.statSync(path.join(MODELS_DIR, d)).isDirectory()))(
    'Keras-format fixture %s', name => {
      const dir = path.join(MODELS_DIR, name);
      const io = JSON.parse(fs.readFileSync(path.join(dir, 'io.json'), 'utf8'));
      // The fixtures were recorded on cpu (float64 statistics); TensorFlow's
      // float32 ops differ by rounding, carried through the following layers.
      test.each(['file://', 'nodeFileSystem'])('loads through %s and reproduces the stored outputs (atol 2e-5, rtol 1e-4)',
                                                async how => {
        const source = how === 'file://' ? `file://${dir}/model.json` : nodeFileSystem(dir);
        const model = await tf.loadLayersModel(source as string);
        expect(model.layers.some(l => l instanceof LayerNorm)).toBe(true);
        const before = tf.memory().numTensors;
        const input = tf.tensor(io.input, io.inputShape);
        const y = model.predict(input) as tf.Tensor;
        expect(y.shape).toEqual(io.outputShape);
        expectClose(y.dataSync(), io.output, 2e-5, 1e-4);
        tf.dispose([input, y]);
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      });
    });

test('the demo (train, save, reload, check) runs on the tensorflow backend', () => {
  const out = path.join(tempDir(), 'demo-model');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/demo.js'), out],
                      {cwd: ROOT, encoding: 'utf8', env: {...process.env, DEMO_BACKEND: 'tensorflow'}});
  expect(r.stderr).not.toMatch(/FAIL|Error/);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/backend tensorflow/);
  expect(r.stdout).toMatch(/OK: reloaded outputs equal the trained model's/);
  // The demo saves through nodeFileSystem: model.json and the one weight file it names.
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).weightsManifest;
  expect(fs.readdirSync(out).sort()).toEqual(['model.json', manifest[0].paths[0]]);
});
