/**
 * Loading never reads outside the model's folder: weight paths that climb
 * out, absolute paths, symlinks leading out, FIFOs and directories, and
 * weight files of the wrong size are refused with the path named, through
 * `nodeFileSystem` and `file://` alike. Saves publish a whole model or
 * nothing: every step's failure leaves the old model and no temporary file,
 * and concurrent saves end with one whole model. cpu.
 */
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import * as tf from '@tensorflow/tfjs';

import {layerNormLayer, nodeFileSystem} from '../../src';
import {LEASE_MS} from '../../src/io/model_files';
import {normalData} from '../conformance/reference';
import {predictData, removeTempDirs, tempDir} from './layer_helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => jest.restoreAllMocks());
afterAll(removeTempDirs);

function smallModel(seed: number, epsilon = 1e-5) {
  return tf.sequential({layers: [
    tf.layers.dense({units: 6, inputShape: [4], name: 'hidden',
                     kernelInitializer: tf.initializers.glorotUniform({seed})}),
    layerNormLayer({name: 'norm', epsilon,
                    gammaInitializer: {className: 'RandomNormal', config: {mean: 1, stddev: 0.3, seed: seed + 1}},
                    betaInitializer: {className: 'RandomUniform', config: {minval: -0.5, maxval: 0.5, seed: seed + 2}}}),
  ]});
}

const x = () => tf.tensor(normalData(12, 3, 1.5), [3, 4]);

/** A saved model in a fresh folder; returns the folder and its model.json (parsed). */
async function savedModel() {
  const dir = path.join(tempDir(), 'model');
  const model = smallModel(10);
  await model.save(nodeFileSystem(dir));
  model.dispose();
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  return {dir, json, weightsFile: json.weightsManifest[0].paths[0] as string};
}

function writeJson(dir: string, json: unknown) {
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
}

function withPaths(json: {weightsManifest: Array<{paths: string[]}>}, paths: string[]) {
  return {...json, weightsManifest: [{...json.weightsManifest[0], paths}]};
}

/** Both ways in: the handler and the file:// router. */
const LOADERS: Array<[string, (dir: string) => Promise<tf.LayersModel>]> = [
  ['nodeFileSystem', dir => tf.loadLayersModel(nodeFileSystem(dir))],
  ['file://', dir => tf.loadLayersModel(`file://${dir}/model.json`)],
];

describe.each(LOADERS)('loading through %s refuses', (_name, load) => {
  test('a weight path climbing out of the folder (../../etc/passwd)', async () => {
    const {dir, json} = await savedModel();
    const climb = '../'.repeat(dir.split('/').length) + 'etc/passwd';
    writeJson(dir, withPaths(json, [climb]));
    await expect(load(dir)).rejects.toThrow(
        /names the weights file '.*etc\/passwd', which resolves to '\/etc\/passwd', outside the model's folder/);
  });

  test('a path into a sibling folder', async () => {
    const {dir, json, weightsFile} = await savedModel();
    const sibling = path.join(path.dirname(dir), 'sibling');
    fs.mkdirSync(sibling);
    fs.copyFileSync(path.join(dir, weightsFile), path.join(sibling, weightsFile));
    writeJson(dir, withPaths(json, [`../sibling/${weightsFile}`]));
    await expect(load(dir)).rejects.toThrow(/sibling.*outside the model's folder/);
  });

  test('an absolute weight path', async () => {
    const {dir, json} = await savedModel();
    writeJson(dir, withPaths(json, ['/etc/passwd']));
    await expect(load(dir)).rejects.toThrow(
        /names the weights file '\/etc\/passwd': weight paths must be relative to the model's folder/);
  });

  test('a symlink inside the folder that leads out of it', async () => {
    const {dir, json, weightsFile} = await savedModel();
    // Same size as the real weights, so only the location check can stop it.
    const outside = path.join(path.dirname(dir), 'secret.bin');
    fs.copyFileSync(path.join(dir, weightsFile), outside);
    fs.symlinkSync(outside, path.join(dir, 'link.bin'));
    writeJson(dir, withPaths(json, ['link.bin']));
    await expect(load(dir)).rejects.toThrow(
        /names the weights file '.*link.bin', which resolves to '.*secret.bin', outside the model's folder/);
    // A symlinked folder on the way out, too.
    fs.symlinkSync(path.dirname(dir), path.join(dir, 'up'));
    writeJson(dir, withPaths(json, ['up/secret.bin']));
    await expect(load(dir)).rejects.toThrow(/up\/secret.bin', which resolves to '.*secret.bin', outside/);
  });

  test('a FIFO (without hanging), a directory', async () => {
    const {dir, json} = await savedModel();
    execFileSync('mkfifo', [path.join(dir, 'pipe.bin')]);
    writeJson(dir, withPaths(json, ['pipe.bin']));
    await expect(load(dir)).rejects.toThrow(
        /names the weights file '.*pipe.bin', which cannot be read: not a regular file \(a device, FIFO or socket\)/);
    fs.mkdirSync(path.join(dir, 'sub'));
    writeJson(dir, withPaths(json, ['sub']));
    await expect(load(dir)).rejects.toThrow(/weights file '.*sub', which cannot be read: not a regular file \(a directory\)/);
    writeJson(dir, withPaths(json, ['.']));
    await expect(load(dir)).rejects.toThrow(/outside the model's folder/);
  });

  test('weight files shorter or longer than the manifest declares', async () => {
    const {dir, weightsFile} = await savedModel();
    const file = path.join(dir, weightsFile);
    const bytes = fs.readFileSync(file);
    const declared = (4 * 6 + 6 + 6 + 6) * 4;
    expect(bytes.length).toBe(declared);
    fs.writeFileSync(file, bytes.subarray(0, declared - 4));
    await expect(load(dir)).rejects.toThrow(new RegExp(
        `the weights file '.*${weightsFile}' holds ${declared - 4} bytes, but its manifest declares ${declared} bytes`));
    fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from('extra')]));
    await expect(load(dir)).rejects.toThrow(new RegExp(`holds ${declared + 5} bytes, but its manifest declares ${declared}`));
  });

  test('a model.json that is a FIFO or a directory', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [path.join(dir, 'model.json')]);
    await expect(load(dir)).rejects.toThrow(
        /cannot read the model file '.*model.json': not a regular file \(a device, FIFO or socket\)/);
    const dir2 = tempDir();
    fs.mkdirSync(path.join(dir2, 'model.json'));
    // (A model.json path that is a folder is read as the folder holding one.)
    await expect(tf.loadLayersModel(nodeFileSystem(dir2))).rejects.toThrow(
        /cannot read the model file '.*model.json': not a regular file \(a directory\)/);
  });
});

test('what stays allowed: a symlink within the folder, sharded groups in a subfolder, a symlinked model folder', async () => {
  const {dir, json, weightsFile} = await savedModel();
  const expected = predictData(await tf.loadLayersModel(nodeFileSystem(dir)), x());
  const bytes = fs.readFileSync(path.join(dir, weightsFile));
  fs.mkdirSync(path.join(dir, 'shards'));
  fs.writeFileSync(path.join(dir, 'shards', 'a.bin'), bytes.subarray(0, 40));
  fs.writeFileSync(path.join(dir, 'shards', 'b.bin'), bytes.subarray(40));
  fs.symlinkSync('shards/b.bin', path.join(dir, 'b-link.bin'));
  writeJson(dir, withPaths(json, ['./shards/a.bin', 'b-link.bin']));
  const linkedFolder = path.join(path.dirname(dir), 'linked');
  fs.symlinkSync(dir, linkedFolder);
  for (const source of [dir, linkedFolder]) {
    const model = await tf.loadLayersModel(nodeFileSystem(source));
    expect(predictData(model, x())).toEqual(expected);
    model.dispose();
  }
  // Shards whose sizes add up wrong name every file of the group.
  fs.writeFileSync(path.join(dir, 'shards', 'a.bin'), bytes.subarray(0, 36));
  await expect(tf.loadLayersModel(nodeFileSystem(dir))).rejects.toThrow(
      /the weights files '.*shards\/a.bin', '.*shards\/b.bin' hold 164 bytes, but its manifest declares 168/);
});

test('a weights.bin saved by earlier versions (and tfjs-node) still loads; saving over it replaces it', async () => {
  const {dir, json, weightsFile} = await savedModel();
  const expected = predictData(await tf.loadLayersModel(nodeFileSystem(dir)), x());
  fs.renameSync(path.join(dir, weightsFile), path.join(dir, 'weights.bin'));
  writeJson(dir, withPaths(json, ['weights.bin']));
  const model = await tf.loadLayersModel(nodeFileSystem(dir));
  expect(predictData(model, x())).toEqual(expected);
  await model.save(nodeFileSystem(dir));
  expect(fs.readdirSync(dir).sort()).toEqual(['model.json', expect.stringMatching(/^weights\.[0-9a-f]{16}\.bin$/)]);
  model.dispose();
});

// ------------------------------------------------- sizes before reading

/**
 * The files loading reads from (basenames, once per read call), recorded by
 * wrapping the handles fs.promises.open returns; `beforeOpen` runs first.
 */
function spyOnReads(beforeOpen: (file: string) => void = () => undefined) {
  const reads: string[] = [];
  const open = fs.promises.open.bind(fs.promises) as (...args: unknown[]) => Promise<fs.promises.FileHandle>;
  jest.spyOn(fs.promises, 'open').mockImplementation((async (...args: unknown[]) => {
    const file = path.basename(String(args[0]));
    beforeOpen(file);
    const handle = await open(...args);
    for (const method of ['read', 'readFile', 'readv'] as const) {
      const original = (handle[method] as (...a: unknown[]) => unknown).bind(handle);
      (handle as unknown as {[m: string]: unknown})[method] = (...a: unknown[]) => {
        reads.push(file);
        return original(...a);
      };
    }
    return handle;
  }) as never);
  return reads;
}

const SPARSE_BYTES = 100 * 1024 * 1024;

/** A saved model beside `big.bin`, a sparse file of 100 MB (no disk used). */
async function modelBesideSparseFile() {
  const saved = await savedModel();
  const big = path.join(saved.dir, 'big.bin');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, SPARSE_BYTES);
  return saved;
}

describe('loading checks sizes before reading a byte', () => {
  // Refused quickly and without reading: far below the time reading
  // gigabytes takes.
  const QUICK_MS = 5000;

  test('a manifest listing one 100 MB sparse file 30 times (also as ./big.bin or a symlink) is refused as listing it twice', async () => {
    const {dir, json} = await modelBesideSparseFile();
    fs.symlinkSync('big.bin', path.join(dir, 'alias.bin'));
    for (const [second, shown] of [['big.bin', 'big.bin'], ['./big.bin', '\\./big.bin'], ['alias.bin', 'alias.bin']]) {
      writeJson(dir, withPaths(json, ['big.bin', second, ...Array(28).fill('big.bin')]));
      const reads = spyOnReads();
      const started = Date.now();
      await expect(tf.loadLayersModel(nodeFileSystem(dir))).rejects.toThrow(new RegExp(
          `weightsManifest\\[0\\]\\.paths\\[1\\] \\('${shown}'\\) names the weights file '.*big.bin', ` +
          `which weightsManifest\\[0\\]\\.paths\\[0\\] already names; each file may be listed once`));
      expect(Date.now() - started).toBeLessThan(QUICK_MS);
      expect(reads.filter(f => f.endsWith('.bin'))).toEqual([]);
      jest.restoreAllMocks();
    }
    // In two groups, too.
    const twoGroups = {...json, weightsManifest: [json.weightsManifest[0], {paths: ['big.bin'], weights: []},
                                                  {paths: ['big.bin'], weights: []}]};
    writeJson(dir, twoGroups);
    await expect(tf.loadLayersModel(nodeFileSystem(dir))).rejects.toThrow(
        /weightsManifest\[2\]\.paths\[0\] \('big.bin'\) names the weights file '.*big.bin', which weightsManifest\[1\]\.paths\[0\] already names/);
  });

  test('a 100 MB file where the manifest declares 168 bytes is refused by its size, unread', async () => {
    const {dir, json} = await modelBesideSparseFile();
    writeJson(dir, withPaths(json, ['big.bin']));
    const reads = spyOnReads();
    const started = Date.now();
    await expect(tf.loadLayersModel(nodeFileSystem(dir))).rejects.toThrow(
        new RegExp(`the weights file '.*big.bin' holds ${SPARSE_BYTES} bytes, but its manifest declares 168 bytes`));
    expect(Date.now() - started).toBeLessThan(QUICK_MS);
    expect(reads.filter(f => f.endsWith('.bin'))).toEqual([]);
  });

  test('a string weight is refused (its size is declared nowhere), unread', async () => {
    const {dir, json} = await modelBesideSparseFile();
    const weights = [...json.weightsManifest[0].weights, {name: 'vocab', shape: [2], dtype: 'string'}];
    writeJson(dir, {...json, weightsManifest: [{paths: ['big.bin'], weights}]});
    const reads = spyOnReads();
    await expect(tf.loadLayersModel(nodeFileSystem(dir))).rejects.toThrow(new RegExp(
        `weightsManifest\\[0\\]\\.weights\\[${weights.length - 1}\\] \\('vocab'\\) has dtype 'string'; ` +
        `nodeFileSystem loads numeric weights only`));
    expect(reads.filter(f => f.endsWith('.bin'))).toEqual([]);
  });

  test('a weights file that grows between the size check and the read is refused, not read further', async () => {
    const {dir, weightsFile} = await savedModel();
    let opens = 0;
    spyOnReads(file => {
      if (file === weightsFile && ++opens === 2) {
        fs.appendFileSync(path.join(dir, weightsFile), Buffer.alloc(4096));
      }
    });
    await expect(tf.loadLayersModel(nodeFileSystem(dir))).rejects.toThrow(
        new RegExp(`the weights file '.*${weightsFile}' changed while being loaded \\(it held 168 bytes\\)`));
  });
});

test.each<[string, (json: {weightsManifest: Array<{paths: string[], weights: unknown[]}>}) => unknown, RegExp]>([
  ['weights: [null]', json => ({...json, weightsManifest: [{...json.weightsManifest[0], weights: [null]}]}),
   /weightsManifest\[0\]\.weights\[0\] must be an object \{name, shape, dtype\} with a string name; got null/],
  ['an entry without a name', json => ({...json, weightsManifest: [{...json.weightsManifest[0],
                                                                   weights: [...json.weightsManifest[0].weights, {shape: [1]}]}]}),
   /weightsManifest\[0\]\.weights\[4\] must be an object \{name, shape, dtype\} with a string name; got \{"shape":\[1\]\}/],
  ['a dtype of "constructor"', json => ({...json, weightsManifest: [{...json.weightsManifest[0],
                                                                     weights: [{name: 'w', shape: [42], dtype: 'constructor'}]}]}),
   /weightsManifest\[0\]\.weights\[0\] \('w'\) has dtype "constructor"; expected one of float32, int32, bool, complex64/],
  ['a shape that is not a list', json => ({...json, weightsManifest: [{...json.weightsManifest[0],
                                                                       weights: [{name: 'w', shape: 'abc', dtype: 'float32'}]}]}),
   /weightsManifest\[0\]\.weights\[0\] \('w'\) has shape "abc"; expected a list of non-negative integers/],
  ['a quantization without a storage dtype', json => ({...json, weightsManifest: [{...json.weightsManifest[0],
      weights: [{name: 'w', shape: [42], dtype: 'float32', quantization: {scale: 1}}]}]}),
   /weightsManifest\[0\]\.weights\[0\] \('w'\) has quantization \{"scale":1\}; expected \{dtype\} with dtype one of uint8, uint16, float16/],
  ['a group that is null', json => ({...json, weightsManifest: [null]}),
   /weightsManifest\[0\] must hold 'paths' \(non-empty strings\) and 'weights' \(a list\); got null/],
  ['a manifest that is not a list', json => ({...json, weightsManifest: {paths: []}}),
   /weightsManifest must be a list of \{paths, weights\} groups; got \{"paths":\[\]\}/],
])('a malformed manifest (%s) is refused naming the entry', async (_name, edit, error) => {
  const {dir, json} = await savedModel();
  writeJson(dir, edit(json));
  await expect(tf.loadLayersModel(nodeFileSystem(dir))).rejects.toThrow(error);
});

// ------------------------------------------------------------------ saves

/** The folder's model: its model.json text and the bytes of the weights it names. */
function snapshot(dir: string) {
  const text = fs.readFileSync(path.join(dir, 'model.json'), 'utf8');
  const file = JSON.parse(text).weightsManifest[0].paths[0];
  return {text, weights: fs.readFileSync(path.join(dir, file)), files: fs.readdirSync(dir).sort()};
}

/**
 * Every filesystem call a save makes, in order, recorded by spying on
 * fs.promises (the module the handler imports); `failAt` makes that call
 * (0-based) reject with an EACCES error instead.
 */
function spyOnSave(failAt: number) {
  const calls: string[] = [];
  const methods = ['mkdir', 'open', 'rename'] as const;
  for (const method of methods) {
    const original = fs.promises[method].bind(fs.promises) as (...args: unknown[]) => Promise<unknown>;
    jest.spyOn(fs.promises, method as 'open').mockImplementation(((...args: unknown[]) => {
      const index = calls.length;
      calls.push(`${method} ${path.basename(String(args[method === 'rename' ? 1 : 0]))}`);
      if (index === failAt) {
        return Promise.reject(Object.assign(new Error(`EACCES: permission denied, ${method} '${args[0]}'`),
                                            {code: 'EACCES'}));
      }
      return original(...args);
    }) as never);
  }
  return calls;
}

test('a save failing at any step keeps the old model, leaves no temporary file, and names the step and path', async () => {
  const {dir} = await savedModel();
  const old = snapshot(dir);
  const model = smallModel(20, 1e-3);
  // The calls of one successful save (the sweep reads with open too).
  const calls = spyOnSave(-1);
  await model.save(nodeFileSystem(path.join(tempDir(), 'probe')));
  jest.restoreAllMocks();
  const saveCalls = calls.slice(0, calls.indexOf('rename model.json') + 1);
  const id = /^open \.tfjs-layernorm\.([0-9a-f]{16})\.pending$/.exec(saveCalls[1])![1];
  expect(saveCalls).toEqual([
    'mkdir probe', `open .tfjs-layernorm.${id}.pending`, `open .tfjs-layernorm.${id}.weights.tmp`,
    `rename weights.${id}.bin`, `open .tfjs-layernorm.${id}.model.json.tmp`, 'rename model.json',
  ]);
  const steps = [
    /cannot create the folder '.*model': EACCES/,
    /cannot mark the save as pending '.*\/\.tfjs-layernorm\.[0-9a-f]{16}\.pending': EACCES/,
    /cannot write the weights '.*\/\.tfjs-layernorm\.[0-9a-f]{16}\.weights\.tmp': EACCES/,
    /cannot publish the weights \(rename\) '.*\/weights\.[0-9a-f]{16}\.bin': EACCES/,
    /cannot write model.json '.*\/\.tfjs-layernorm\.[0-9a-f]{16}\.model\.json\.tmp': EACCES/,
    /cannot publish model.json \(rename\) '.*model\.json': EACCES/,
  ];
  for (const [failAt, step] of steps.entries()) {
    spyOnSave(failAt);
    await expect(model.save(nodeFileSystem(dir))).rejects.toThrow(new RegExp(
        `^nodeFileSystem: saving the model to '.*model' failed: ${step.source}`));
    jest.restoreAllMocks();
    expect(snapshot(dir)).toEqual(old);
    const loaded = await tf.loadLayersModel(nodeFileSystem(dir));
    expect(loaded.getLayer('norm').getConfig().epsilon).toBe(1e-5);
    loaded.dispose();
  }
  // And then a save that succeeds replaces it whole.
  await model.save(nodeFileSystem(dir));
  const loaded = await tf.loadLayersModel(nodeFileSystem(dir));
  expect(predictData(loaded, x())).toEqual(predictData(model, x()));
  expect(snapshot(dir).files).toEqual(['model.json', expect.stringMatching(/^weights\.[0-9a-f]{16}\.bin$/)]);
  model.dispose();
  loaded.dispose();
});

test('concurrent saves of different models into one folder end with one whole model', async () => {
  const dir = path.join(tempDir(), 'model');
  const models = [smallModel(30, 1e-5), smallModel(40, 1e-3), smallModel(50, 1e-2)];
  const outputs = models.map(m => predictData(m, x()));
  for (let round = 0; round < 10; round++) {
    await Promise.all(models.map(m => m.save(nodeFileSystem(dir))));
    const loaded = await tf.loadLayersModel(nodeFileSystem(dir));
    const epsilon = loaded.getLayer('norm').getConfig().epsilon;
    const which = [1e-5, 1e-3, 1e-2].indexOf(epsilon as number);
    expect(which).toBeGreaterThanOrEqual(0);
    // Its weights are that model's, not another's.
    expect(predictData(loaded, x())).toEqual(outputs[which]);
    loaded.dispose();
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', expect.stringMatching(/^weights\.[0-9a-f]{16}\.bin$/)]);
  }
  models.forEach(m => m.dispose());
});

/** Sets the modification time of files in `dir` past the save lease: abandoned, as a killed save's. */
function expire(dir: string, names: string[]) {
  const expired = (Date.now() - LEASE_MS - 60000) / 1000;
  for (const name of names) fs.utimesSync(path.join(dir, name), expired, expired);
}

const WEIGHTS = /^weights\.[0-9a-f]{16}\.bin$/;

test('what a save cannot remove (a folder named like weights) is passed by, reported, and the save succeeds', async () => {
  const {dir} = await savedModel();
  const blocker = 'weights.0123456789abcdef.bin';
  fs.mkdirSync(path.join(dir, blocker));
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const model = smallModel(20, 1e-3);
  for (let save = 0; save < 5; save++) {
    const result = await model.save(nodeFileSystem(dir));
    const report = new RegExp(`^nodeFileSystem: the model was saved to '${dir}', but leftovers of earlier saves could ` +
                              `not all be removed \\(the next save tries again\\): cannot remove '${dir}/${blocker}': E`);
    expect(result.errors).toEqual([expect.stringMatching(report)]);
    expect(warn).toHaveBeenLastCalledWith(result.errors![0]);
    // Every earlier weights file went all the same.
    expect(fs.readdirSync(dir).filter(f => f !== blocker).sort())
        .toEqual(['model.json', expect.stringMatching(WEIGHTS)]);
  }
  expect(warn).toHaveBeenCalledTimes(5);
  const loaded = await tf.loadLayersModel(nodeFileSystem(dir));
  expect(predictData(loaded, x())).toEqual(predictData(model, x()));
  model.dispose();
  loaded.dispose();
});

test('a save removes only names this package makes, and its own or earlier versions\' only once older than the lease', async () => {
  const {dir, weightsFile} = await savedModel();
  const foreign = ['.vim.4000000.deadbeef.tmp', '.model.json.4000000.deadbeef.tmp', '.notes', 'weights.txt',
                   '.tfjs-layernorm.notes', 'weights.0123.bin'];
  const id = 'feedfacecafebeef';
  const ours = [`.tfjs-layernorm.${id}.pending`, `.tfjs-layernorm.${id}.weights.tmp`,
                `.tfjs-layernorm.${id}.model.json.tmp`,
                // Earlier versions' mark (keeping its weights) and weights temporary.
                '.pending.weights.00000000deadbeef.bin.4000000', '.weights.0000000000c0ffee.bin.4000000.deadbeef.tmp'];
  const kept = [`weights.${id}.bin`, 'weights.00000000deadbeef.bin'];  // weights a pending mark names
  for (const name of [...foreign, ...ours, ...kept]) fs.writeFileSync(path.join(dir, name), '');
  const model = smallModel(20, 1e-3);
  await model.save(nodeFileSystem(dir));
  const published = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths[0];
  // Young: a live save's, in this PID namespace or another; the old model's weights went.
  expect(fs.existsSync(path.join(dir, weightsFile))).toBe(false);
  expect(fs.readdirSync(dir).sort()).toEqual([...foreign, ...ours, ...kept, 'model.json', published].sort());
  expire(dir, [...foreign, ...ours]);
  await model.save(nodeFileSystem(dir));
  const now = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths[0];
  expect(fs.readdirSync(dir).sort()).toEqual([...foreign, 'model.json', now].sort());
  model.dispose();
});

test('a save keeps the mode of the model.json it replaces, for model.json and weights alike', async () => {
  const {dir} = await savedModel();
  const model = smallModel(20, 1e-3);
  // 0o660 is what a umask of 022 would narrow: kept exactly all the same.
  for (const mode of [0o600, 0o660, 0o644]) {
    for (const file of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, file), mode);
    await model.save(nodeFileSystem(dir));
    const saved = fs.readdirSync(dir).sort();
    expect(saved).toEqual(['model.json', expect.stringMatching(WEIGHTS)]);
    for (const file of saved) {
      expect([file, (fs.statSync(path.join(dir, file)).mode & 0o777).toString(8)]).toEqual([file, mode.toString(8)]);
    }
  }
  model.dispose();
});
