/**
 * What the package's handlers (nodeFileSystem, file:// URLs, kerasCompatible)
 * refuse before TF.js builds a layers model (src/io/topology_check.ts):
 * `inbound_nodes` TF.js would wait on forever (a cycle, a missing layer or
 * node), and anything that would make TF.js fail after it allocated the
 * model's variables or decoded the weights; each refusal names the layer or
 * weight and leaves tf.memory().numTensors as it was. Valid graphs (shared
 * layers, nested models) still load. cpu.
 */
import {spawnSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {kerasCompatible, layerNormLayer, nodeFileSystem} from '../../src';
import {removeTempDirs, saveToMemory, tempDir} from './layer_helpers';

type Json = any;  // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(removeTempDirs);

/** x -> a (Dense) -> b (Dense) -> norm (LayerNorm): a functional model in TF.js's (Keras 2) form. */
async function chain(): Promise<tf.io.ModelArtifacts> {
  const x = tf.input({shape: [4], name: 'x'});
  const a = tf.layers.dense({units: 3, name: 'a'}).apply(x) as tf.SymbolicTensor;
  const b = tf.layers.dense({units: 3, name: 'b'}).apply(a) as tf.SymbolicTensor;
  const y = layerNormLayer({name: 'norm'}).apply(b) as tf.SymbolicTensor;
  const model = tf.model({inputs: x, outputs: y});
  const artifacts = await saveToMemory(model);
  model.dispose();
  return artifacts;
}

function edited(artifacts: tf.io.ModelArtifacts, edit: (config: Json) => void): tf.io.ModelArtifacts {
  const topology = JSON.parse(JSON.stringify(artifacts.modelTopology));
  edit(topology.config);
  return {...artifacts, modelTopology: topology};
}

const layer = (config: Json, name: string) => config.layers.find((l: Json) => l.name === name);

function writeFiles(artifacts: tf.io.ModelArtifacts, specs = artifacts.weightSpecs,
                    data = artifacts.weightData as ArrayBuffer): string {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(data));
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
    modelTopology: artifacts.modelTopology, format: 'layers-model',
    weightsManifest: [{paths: ['weights.bin'], weights: specs}]}));
  return path.join(dir, 'model.json');
}

/** Each way into the package's handlers, for the same model files. */
function sources(artifacts: tf.io.ModelArtifacts, specs = artifacts.weightSpecs,
                 data = artifacts.weightData as ArrayBuffer): Array<string|tf.io.IOHandler> {
  const file = writeFiles(artifacts, specs, data);
  return [nodeFileSystem(file), `file://${file}`, kerasCompatible(nodeFileSystem(file)),
          kerasCompatible(tf.io.fromMemory({...artifacts, weightSpecs: specs, weightData: data}))];
}

async function expectRefused(all: Array<string|tf.io.IOHandler>, message: RegExp) {
  for (const source of all) {
    const before = tf.memory().numTensors;
    await expect(tf.loadLayersModel(source as tf.io.IOHandler)).rejects.toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  }
}

let base: tf.io.ModelArtifacts;
beforeAll(async () => {
  base = await chain();
});

/** A child process that hangs is killed after this: the test fails instead of hanging jest. */
const CHILD_TIMEOUT_MS = 60_000;

/**
 * Loads each file through each of the package's ways in a child process
 * (TF.js's own loader would loop forever, and a loop in this process could
 * not be interrupted): per file and way, the error message and the tensors
 * the failed load left behind.
 */
function loadInChild(files: string[]): Array<Array<{how: string, message: string, leaked: number}>> {
  const code = `
    const fs = require('fs');
    (async () => {
      const tfModule = await import('@tensorflow/tfjs');
      const tf = tfModule.memory ? tfModule : tfModule.default;
      const src = (m => m.nodeFileSystem ? m : m.default)(await import('./src/index.ts'));
      await tf.setBackend('cpu');
      const results = [];
      for (const file of ${JSON.stringify(files)}) {
        const json = JSON.parse(fs.readFileSync(file, 'utf8'));
        const bytes = fs.readFileSync(file.replace(/model\\.json$/, 'weights.bin'));
        const memory = tf.io.fromMemory({modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
                                         weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)});
        const sources = {'nodeFileSystem': src.nodeFileSystem(file), 'file:// URL': 'file://' + file,
                         'kerasCompatible(nodeFileSystem)': src.kerasCompatible(src.nodeFileSystem(file)),
                         'kerasCompatible(fromMemory)': src.kerasCompatible(memory)};
        const row = [];
        for (const [how, source] of Object.entries(sources)) {
          const before = tf.memory().numTensors;
          let message = 'loaded';
          await tf.loadLayersModel(source).catch(e => { message = e.message; });
          row.push({how, message, leaked: tf.memory().numTensors - before});
        }
        results.push(row);
      }
      process.stdout.write('RESULT ' + JSON.stringify(results) + '\\n');
    })();`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', code],
                          {cwd: path.resolve(__dirname, '../..'), encoding: 'utf8', timeout: CHILD_TIMEOUT_MS});
  if (child.signal != null) {
    throw new Error(`loading hung: killed by ${child.signal} after ${CHILD_TIMEOUT_MS} ms`);
  }
  const line = child.stdout.split('\n').find(l => l.startsWith('RESULT '));
  if (line == null) throw new Error(`the child process failed: ${child.stderr.slice(-2000)}`);
  return JSON.parse(line.slice('RESULT '.length));
}

describe('inbound_nodes TF.js would wait on forever are refused, naming the layer', () => {
  const tensor = (name: string) => ({class_name: '__keras_tensor__', config: {shape: [null, 3], dtype: 'float32', keras_history: [name, 0, 0]}});
  const cases: Array<[string, (c: Json) => void, RegExp]> = [
    ['a cycle: a takes its input from b, b from a', c => { layer(c, 'a').inbound_nodes = [[['b', 0, 0, {}]]]; },
     /^Keras model config: layers 'a' -> 'b' -> 'a' take their inputs from each other in a cycle/],
    ['a layer that takes its input from itself', c => { layer(c, 'b').inbound_nodes = [[['b', 0, 0, {}]]]; },
     /layers 'b' -> 'b' take their inputs from each other in a cycle/],
    ['a dangling input: a layer the model does not have', c => { layer(c, 'b').inbound_nodes = [[['ghost', 0, 0, {}]]]; },
     /layer 'b' takes an input from layer 'ghost', which the model does not have/],
    ['a node the input layer never has', c => { layer(c, 'b').inbound_nodes = [[['a', 3, 0, {}]]]; },
     /layer 'b' takes an input from node 3 of layer 'a', but 'a' has only 1 node/],
    ['a cycle in the Keras 3 form', c => {
      layer(c, 'a').inbound_nodes = [{args: [tensor('b')], kwargs: {}}];
      layer(c, 'b').inbound_nodes = [{args: [tensor('a')], kwargs: {}}];
    }, /layers 'a' -> 'b' -> 'a' take their inputs from each other in a cycle/],
  ];
  test('each refused by every way in, leaking nothing (in a child process, which a hang cannot stall)', () => {
    const results = loadInChild(cases.map(([, edit]) => writeFiles(edited(base, edit))));
    cases.forEach(([name, , message], i) => {
      for (const {how, message: got, leaked} of results[i]) {
        expect({name, how, got, leaked}).toEqual({name, how, got: expect.stringMatching(message), leaked: 0});
      }
    });
  });

  test('output_layers naming a node that does not exist', async () => {
    const bad = edited(base, c => { c.output_layers = [['norm', 1, 0]]; });
    await expectRefused(sources(bad), /output_layers names \["norm",1,0\], which is not a node of a layer/);
  });
});

describe('valid graphs still load', () => {
  test('a layer shared at different depths, A(B(A(x))), listed out of order, and a nested model', async () => {
    const x = tf.input({shape: [3], name: 'x'});
    const shared = tf.layers.dense({units: 3, name: 'shared'});
    const mid = tf.layers.dense({units: 3, name: 'mid'});
    const innerIn = tf.input({shape: [3]});
    const inner = tf.model({inputs: innerIn, outputs: layerNormLayer({name: 'inner_norm'}).apply(innerIn) as tf.SymbolicTensor,
                            name: 'inner'});
    const y = inner.apply(shared.apply(mid.apply(shared.apply(x)))) as tf.SymbolicTensor;
    const model = tf.model({inputs: x, outputs: y});
    const artifacts = await saveToMemory(model);
    const input = tf.randomNormal([2, 3], 0, 1, 'float32', 3);
    const expected = model.predict(input) as tf.Tensor;
    const reversed = edited(artifacts, c => { c.layers.reverse(); });
    for (const source of sources(reversed)) {
      const loaded = await tf.loadLayersModel(source as tf.io.IOHandler);
      const y2 = loaded.predict(input) as tf.Tensor;
      expect(Array.from(y2.dataSync())).toEqual(Array.from(expected.dataSync()));
      tf.dispose(y2);
      loaded.dispose();
    }
    tf.dispose([input, expected]);
    model.dispose();
  });
});

describe('a failed load leaks nothing: the manifest is checked against the topology before TF.js decodes it', () => {
  test('100k manifest entries that are no weight of the model', async () => {
    const extra = Array.from({length: 100_000}, (_, i) => ({name: `extra/w${i}`, shape: [1], dtype: 'float32' as const}));
    const specs = [...base.weightSpecs!, ...extra];
    const data = tf.io.concatenateArrayBuffers([base.weightData as ArrayBuffer, new ArrayBuffer(4 * extra.length)]);
    await expectRefused(sources(base, specs, data), /weights manifest: 'extra\/w0' is not a weight of the model/);
  });

  test('a weight missing, misshapen, of another dtype, or listed twice', async () => {
    const specs = base.weightSpecs!;
    const floats = new Float32Array(base.weightData as ArrayBuffer);
    const without = (name: string) => {
      let offset = 0;
      const parts: number[] = [];
      for (const s of specs) {
        const size = s.shape.reduce((a, b) => a * b, 1);
        if (s.name !== name) parts.push(...floats.slice(offset, offset + size));
        offset += size;
      }
      return new Float32Array(parts).buffer;
    };
    await expectRefused(sources(base, specs.filter(s => s.name !== 'norm/gamma'), without('norm/gamma')),
                        /weights manifest: 1 of 6 weights of the model are not set: norm\/gamma/);
    const gamma = specs.find(s => s.name === 'norm/gamma')!;
    const kernel = specs.find(s => s.name === 'b/kernel')!;
    // Same byte count, other shape: [3, 3] as [9].
    await expectRefused(sources(base, specs.map(s => s === kernel ? {...s, shape: [9]} : s)),
                        /weights manifest: 'b\/kernel' is float32 \[9\], but the model's weight 'b\/kernel' is float32 \[3,3\]/);
    await expectRefused(sources(base, specs.map(s => s === gamma ? {...s, dtype: 'int32' as const} : s)),
                        /weights manifest: 'norm\/gamma' is int32 \[3\], but the model's weight 'norm\/gamma' is float32 \[3\]/);
    const twice = [...specs, gamma];
    const data = tf.io.concatenateArrayBuffers([base.weightData as ArrayBuffer, new ArrayBuffer(12)]);
    await expectRefused(sources(base, twice, data), /weights manifest: the weight 'norm\/gamma' is listed twice/);
  });

  test('weight data shorter than the manifest (through kerasCompatible around any handler)', async () => {
    const short = (base.weightData as ArrayBuffer).slice(0, 40);
    await expectRefused([kerasCompatible(tf.io.fromMemory({...base, weightData: short}))],
                        /weights manifest: weight '.*' ends at byte \d+, but the weight data holds only 40 bytes/);
  });

  test('a layer config failing after earlier layers built their variables', async () => {
    const bad = edited(base, c => { layer(c, 'norm').config.axis = 5; });
    await expectRefused(sources(bad), /LayerNorm 'norm': axis must be/);
  });

  test('an unknown layer class, named as such', async () => {
    const bad = edited(base, c => { layer(c, 'b').class_name = 'NoSuchLayer'; });
    await expectRefused(sources(bad), /layer 'b' is of class 'NoSuchLayer', which TF.js does not know/);
  });

  test('a training config TF.js cannot compile', async () => {
    const file = writeFiles(base);
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    json.trainingConfig = {loss: 'mean_squared_error', optimizer_config: {class_name: 'NoSuchOptimizer', config: {}}};
    fs.writeFileSync(file, JSON.stringify(json));
    await expectRefused([nodeFileSystem(file), kerasCompatible(nodeFileSystem(file))], /NoSuchOptimizer/);
  });
});
