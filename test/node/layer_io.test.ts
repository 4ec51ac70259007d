/**
 * Saving and loading models holding LayerNorm: in memory, to real files
 * with `nodeFileSystem`, and through `file://` URLs. cpu, Node without
 * tfjs-node.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {LayerNorm, layerNormLayer, nodeFileSystem} from '../../src';
import {normalData} from '../conformance/reference';
import {predictData, removeTempDirs, saveToMemory, tempDir} from './layer_helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(removeTempDirs);

function smallModel() {
  const model = tf.sequential({layers: [
    tf.layers.dense({units: 6, inputShape: [4], name: 'hidden'}),
    layerNormLayer({name: 'norm', gammaInitializer: {className: 'RandomNormal', config: {mean: 1, stddev: 0.3, seed: 1}},
                    betaInitializer: {className: 'RandomUniform', config: {minval: -0.5, maxval: 0.5, seed: 2}}}),
    tf.layers.dense({units: 2, name: 'out'}),
  ]});
  return model;
}

const x = () => tf.tensor(normalData(12, 3, 1.5), [3, 4]);

test('in memory: tf.io.withSaveHandler / tf.io.fromMemory', async () => {
  const model = smallModel();
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(model)));
  expect(loaded.getLayer('norm')).toBeInstanceOf(LayerNorm);
  expect(predictData(loaded, x())).toEqual(predictData(model, x()));
  model.dispose();
  loaded.dispose();
});

test('nodeFileSystem: model.json + weights.<id>.bin on disk, loaded from the file or its directory', async () => {
  const model = smallModel();
  const dir = path.join(tempDir(), 'nested', 'model');  // created on save
  const result = await model.save(nodeFileSystem(dir));
  expect(result.modelArtifactsInfo.modelTopologyType).toBe('JSON');
  const files = fs.readdirSync(dir).sort();
  expect(files).toEqual(['model.json', expect.stringMatching(/^weights\.[0-9a-f]{16}\.bin$/)]);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  expect(json.format).toBe('layers-model');
  expect(json.weightsManifest).toEqual([{paths: [files[1]], weights: expect.any(Array)}]);
  const weightBytes = json.weightsManifest[0].weights
      .reduce((n: number, w: {shape: number[]}) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  expect(fs.statSync(path.join(dir, files[1])).size).toBe(weightBytes);
  for (const source of [path.join(dir, 'model.json'), dir]) {
    const loaded = await tf.loadLayersModel(nodeFileSystem(source));
    expect(loaded.getLayer('norm').getConfig()).toEqual(model.getLayer('norm').getConfig());
    expect(predictData(loaded, x())).toEqual(predictData(model, x()));
    loaded.dispose();
  }
  model.dispose();
});

test('file:// URLs work without tfjs-node (this package\'s router)', async () => {
  expect(tf.io.getSaveHandlers('file:///tmp/x')).toHaveLength(1);
  expect(tf.io.getLoadHandlers('file:///tmp/x/model.json')).toHaveLength(1);
  const model = smallModel();
  const dir = tempDir();
  await model.save(`file://${dir}`);
  const loaded = await tf.loadLayersModel(`file://${dir}/model.json`);
  expect(predictData(loaded, x())).toEqual(predictData(model, x()));
  model.dispose();
  loaded.dispose();
});

test('no tensors leak across save, load, predict and dispose', async () => {
  const model = smallModel();
  const input = x();
  const dir = tempDir();
  const before = tf.memory().numTensors;
  await model.save(nodeFileSystem(dir));
  const loaded = await tf.loadLayersModel(nodeFileSystem(dir));
  tf.dispose(loaded.predict(input) as tf.Tensor);
  loaded.dispose();
  expect(tf.memory().numTensors).toBe(before);
  model.dispose();
  input.dispose();
});

describe('clear errors', () => {
  test('a missing model.json, invalid JSON, a missing weights file', async () => {
    const dir = tempDir();
    await expect(tf.loadLayersModel(nodeFileSystem(path.join(dir, 'none', 'model.json'))))
        .rejects.toThrow(/nodeFileSystem: cannot read the model file '.*none\/model.json'/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{not json');
    await expect(tf.loadLayersModel(nodeFileSystem(dir))).rejects.toThrow(/model.json' is not valid JSON/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{"weightsManifest": []}');
    await expect(tf.loadLayersModel(nodeFileSystem(dir))).rejects.toThrow(/has no modelTopology/);

    const model = smallModel();
    await model.save(nodeFileSystem(dir));
    const weightsFile = fs.readdirSync(dir).find(f => f.startsWith('weights.'))!;
    fs.unlinkSync(path.join(dir, weightsFile));
    await expect(tf.loadLayersModel(nodeFileSystem(dir)))
        .rejects.toThrow(/'.*model.json' names the weights file '.*weights\.[0-9a-f]{16}\.bin', which cannot be read: ENOENT/);
    model.dispose();
  });

  test('saving where a file stands, and a bad path argument', async () => {
    const file = path.join(tempDir(), 'taken');
    fs.writeFileSync(file, 'x');
    const model = smallModel();
    await expect(model.save(nodeFileSystem(file))).rejects.toThrow(/saving the model to '.*taken' failed: cannot create the folder '.*taken': EEXIST/);
    model.dispose();
    expect(() => nodeFileSystem('')).toThrow(/path must be a non-empty string/);
    expect(() => nodeFileSystem(3 as unknown as string)).toThrow(/path must be a non-empty string.*got 3/);
  });

  test('outside Node: a clear error, not a crash on a missing fs', async () => {
    const handler = nodeFileSystem('/tmp/anything');
    const globals = globalThis as {process?: unknown};
    const nodeProcess = globals.process;
    let pending: Promise<unknown>;
    globals.process = undefined;  // the check runs before the first await
    try {
      pending = handler.load!();
    } finally {
      globals.process = nodeProcess;
    }
    await expect(pending).rejects.toThrow(/nodeFileSystem: saving and loading files needs Node.js/);
  });
});

test('the file:// router steps aside when another handler (tfjs-node) claims the URL', async () => {
  // Stands in for tfjs-node's router, registered after this package's.
  const saved: tf.io.ModelArtifacts[] = [];
  const other: tf.io.IOHandler = {
    save: async a => {
      saved.push(a);
      return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a)};
    },
  };
  tf.io.registerSaveRouter(url => (typeof url === 'string' && url.startsWith('file://') ? other : null) as tf.io.IOHandler);
  expect(tf.io.getSaveHandlers('file:///tmp/y')).toEqual([other]);
  const model = smallModel();
  const dir = path.join(tempDir(), 'unused');
  await model.save(`file://${dir}`);
  expect(saved).toHaveLength(1);
  expect(fs.existsSync(dir)).toBe(false);
  model.dispose();
});
