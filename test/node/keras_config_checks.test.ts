/**
 * Hostile or malformed model.json contents refused at load: initializer,
 * regularizer and constraint configs holding values of the wrong type or
 * range, and `__proto__` / `constructor` keys (through `kerasCompatible`
 * as through the plain loader). A failed load leaks no tensor. cpu.
 */
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {kerasCompatible, layerNormLayer, nodeFileSystem} from '../../src';
import {removeTempDirs, saveToMemory, tempDir} from './layer_helpers';

type Json = any;  // eslint-disable-line @typescript-eslint/no-explicit-any

let artifacts: tf.io.ModelArtifacts;
beforeAll(async () => {
  await tf.setBackend('cpu');
  // LayerNorm first: a load failing in its config has built nothing yet,
  // so any tensor left behind would be ours.
  const model = tf.sequential({layers: [
    layerNormLayer({name: 'norm', inputShape: [5]}),
    tf.layers.dense({units: 2, name: 'dense'}),
  ]});
  artifacts = await saveToMemory(model);
  model.dispose();
});
afterAll(removeTempDirs);

function withNormConfig(edit: (config: Json) => void): tf.io.ModelArtifacts {
  const copy = JSON.parse(JSON.stringify(artifacts.modelTopology));
  edit(copy.config.layers[0].config);
  return {...artifacts, modelTopology: copy};
}

/** Expects the load to fail with `message` and leave no tensor behind. */
async function expectRefused(load: () => Promise<unknown>, message: RegExp) {
  const before = tf.memory().numTensors;
  await expect(load()).rejects.toThrow(message);
  expect(tf.memory().numTensors).toBe(before);
}

const L2 = (config: Json) => ({class_name: 'L2', config});
const L1L2 = (config: Json) => ({class_name: 'L1L2', config});

const cases: Array<[string, (c: Json) => void, RegExp]> = [
  ['L2 l2 a string', c => { c.gamma_regularizer = L2({l2: 'x'}); }, /gammaRegularizer \(L1L2\): l2 must be a finite number >= 0; got "x"/],
  ['L2 l2 negative', c => { c.gamma_regularizer = L2({l2: -5}); }, /gammaRegularizer \(L1L2\): l2 must be a finite number >= 0; got -5/],
  ['L2 l2 a list', c => { c.beta_regularizer = L2({l2: [1, 2]}); }, /betaRegularizer \(L1L2\): l2 must be .*; got \[1,2\]/],
  ['L1L2 l1 an object', c => { c.beta_regularizer = L1L2({l1: {a: 1}, l2: 0}); }, /betaRegularizer \(L1L2\): l1 must be .*got \{"a":1\}/],
  ['L1L2 l1 null-like string', c => { c.beta_regularizer = L1L2({l1: 'null'}); }, /l1 must be a finite number >= 0; got "null"/],
  ['RandomNormal stddev a string', c => { c.gamma_initializer = {class_name: 'RandomNormal', config: {mean: 1, stddev: 'x'}}; },
   /gammaInitializer \(RandomNormal\): stddev must be a finite number >= 0; got "x"/],
  ['RandomNormal stddev negative', c => { c.gamma_initializer = {class_name: 'RandomNormal', config: {stddev: -1}}; }, /stddev must be a finite number >= 0; got -1/],
  ['RandomUniform maxval a list', c => { c.beta_initializer = {class_name: 'RandomUniform', config: {minval: 0, maxval: [1]}}; },
   /betaInitializer \(RandomUniform\): maxval must be a finite number; got \[1\]/],
  ['RandomUniform minval > maxval', c => { c.beta_initializer = {class_name: 'RandomUniform', config: {minval: 2, maxval: 1}}; },
   /minval must not exceed maxval; got 2 > 1/],
  ['Constant value a string', c => { c.beta_initializer = {class_name: 'Constant', config: {value: 'one'}}; }, /betaInitializer \(Constant\): value must be a finite number; got "one"/],
  ['a seed that is not an integer', c => { c.beta_initializer = {class_name: 'GlorotUniform', config: {seed: 'abc'}}; }, /seed must be an integer or null; got "abc"/],
  ['VarianceScaling scale a string', c => { c.beta_initializer = {class_name: 'VarianceScaling', config: {scale: 'big', mode: 'fan_in', distribution: 'normal'}}; },
   /scale must be a finite number > 0; got "big"/],
  ['MaxNorm max_value a string', c => { c.gamma_constraint = {class_name: 'MaxNorm', config: {max_value: 'x', axis: 0}}; },
   /gammaConstraint \(MaxNorm\): maxValue must be a finite number >= 0; got "x"/],
  ['MaxNorm axis a string', c => { c.gamma_constraint = {class_name: 'MaxNorm', config: {max_value: 2, axis: 'x'}}; }, /axis must be an integer or a list of integers; got "x"/],
  ['an unknown config key', c => { c.gamma_regularizer = L2({l2: 0.1, l3: 1}); }, /gammaRegularizer must be .*'L2' with unknown config key 'l3' \(it reads l1, l2\)/],
  ['MinMaxNorm rate above 1', c => { c.beta_constraint = {class_name: 'MinMaxNorm', config: {min_value: 0, max_value: 1, rate: 2, axis: 0}}; },
   /betaConstraint \(MinMaxNorm\): rate must be a number in \[0, 1\]; got 2/],
];

describe('wrong value types in initializer, regularizer and constraint configs are refused at load', () => {
  test.each(cases)('%s', async (_name, edit, message) => {
    await expectRefused(() => tf.loadLayersModel(tf.io.fromMemory(withNormConfig(edit))), message);
  });

  test('also when given as objects to the layer', () => {
    expect(() => layerNormLayer({gammaRegularizer: tf.regularizers.l2({l2: -5})}))
        .toThrow(/LayerNorm: gammaRegularizer \(L1L2\): l2 must be a finite number >= 0; got -5/);
    expect(() => layerNormLayer({betaConstraint: tf.constraints.maxNorm({maxValue: NaN})}))
        .toThrow(/betaConstraint \(MaxNorm\): maxValue must be a finite number >= 0; got null/);
  });

  test('valid values still load, zeros and nulls included', async () => {
    const model = await tf.loadLayersModel(tf.io.fromMemory(withNormConfig(c => {
      c.gamma_regularizer = L2({l2: 0});
      c.beta_regularizer = L1L2({l1: 0.5, l2: 0.25});
      c.beta_initializer = {class_name: 'RandomUniform', config: {minval: -1, maxval: 1, seed: null}};
      c.gamma_constraint = {class_name: 'MinMaxNorm', config: {min_value: 0, max_value: 1, rate: 1, axis: 0}};
    })));
    expect(model.getLayer('norm').getConfig()).toMatchObject({
      gammaRegularizer: {className: 'L1L2', config: {l1: 0, l2: 0}},
      betaRegularizer: {className: 'L1L2', config: {l1: 0.5, l2: 0.25}},
    });
    model.dispose();
  });
});

describe("'__proto__' and 'constructor' keys", () => {
  /** A model.json on disk whose LayerNorm config holds `key` (written as JSON text: a JS literal cannot). */
  function fileWithKey(key: string, where: 'config'|'regularizer'): string {
    const topology = withNormConfig(c => {
      if (where === 'config') {
        c.placeholder_key = {polluted: true};
      } else {
        c.gamma_regularizer = L2({l2: 0.01, placeholder_key: {polluted: true}});
      }
    }).modelTopology;
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
    const json = JSON.stringify({modelTopology: topology, format: 'layers-model',
                                 weightsManifest: [{paths: ['weights.bin'], weights: artifacts.weightSpecs}]});
    fs.writeFileSync(path.join(dir, 'model.json'), json.replace('"placeholder_key"', JSON.stringify(key)));
    return dir;
  }

  test.each([['__proto__'], ['constructor']])('%s: refused by kerasCompatible and by the plain loader, at any depth', async key => {
    for (const where of ['config', 'regularizer'] as const) {
      const dir = fileWithKey(key, where);
      const at = `config.layers\\[0\\].config${where === 'config' ? '' : '.gamma_regularizer.config'}`;
      // nodeFileSystem reads the Keras 3 form itself: the same check, with or without kerasCompatible.
      for (const handler of [kerasCompatible(nodeFileSystem(dir)), nodeFileSystem(dir)]) {
        await expectRefused(() => tf.loadLayersModel(handler),
                            new RegExp(`^Keras model config: the key '${key}' at '${at}' is not allowed$`));
      }
      const topology = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).modelTopology;
      await expectRefused(() => tf.loadLayersModel(tf.io.fromMemory(topology)), where === 'config' ?
          /LayerNorm: unknown argument '(Proto|constructor)'/ : /gammaRegularizer must be .*'L2' with unknown config key '(Proto|__proto__|constructor)'/);
    }
    expect(({} as {polluted?: boolean}).polluted).toBeUndefined();
  });
});

test('loads failing in nodeFileSystem or kerasCompatible leak no tensor', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
    modelTopology: artifacts.modelTopology, format: 'layers-model',
    weightsManifest: [{paths: ['../outside.bin'], weights: artifacts.weightSpecs}]}));
  await expectRefused(() => tf.loadLayersModel(nodeFileSystem(dir)), /outside the model's folder/);
  await expectRefused(() => tf.loadLayersModel(kerasCompatible(nodeFileSystem(dir))), /outside the model's folder/);
});
