/**
 * Saves under real faults, in child processes running the save code of
 * `nodeFileSystem` (test/node/fault/save_child.ts, bundled with esbuild so
 * that a child starts without TF.js): SIGKILL at random moments of a save
 * loop, a file size limit (EFBIG) in the middle of writing, a folder the
 * process may not write to, and savers in separate PID namespaces racing.
 * After each, the folder loads as the old model or the new one, never
 * anything else. cpu.
 */
import {ChildProcess, spawn, spawnSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import * as esbuild from 'esbuild';
import * as tf from '@tensorflow/tfjs';

import {layerNormLayer, nodeFileSystem} from '../../src';
import {LEASE_MS} from '../../src/io/model_files';
import {normalData} from '../conformance/reference';
import {predictData, removeTempDirs, tempDir} from './layer_helpers';

const KILLS = 200;
/** This package's marks and temporary files. */
const OWN_FILE = /^\.tfjs-layernorm\.[0-9a-f]{16}\.(pending|weights\.tmp|model\.json\.tmp)$/;
const WEIGHTS_FILE = /^weights\.[0-9a-f]{16}\.bin$/;
const UNITS = 128;  // 64 KB of dense weights: a save takes a few ms

let work: string;
let child: string;
/** The two models: what each saves as, and its outputs on `x`. */
const models: Array<{json: string, bin: string, epsilon: number, output: Float32Array}> = [];
let x: tf.Tensor;

beforeAll(async () => {
  await tf.setBackend('cpu');
  work = tempDir();
  child = path.join(work, 'save_child.js');
  esbuild.buildSync({
    entryPoints: [path.join(__dirname, 'fault', 'save_child.ts')], outfile: child,
    bundle: true, platform: 'node', target: 'node18', logLevel: 'warning',
  });
  x = tf.tensor(normalData(2 * UNITS, 5, 1.5), [2, UNITS]);
  for (const [index, epsilon] of [1e-5, 1e-3].entries()) {
    const model = tf.sequential({layers: [
      tf.layers.dense({units: UNITS, inputShape: [UNITS], name: 'dense',
                       kernelInitializer: tf.initializers.glorotUniform({seed: 60 + index})}),
      layerNormLayer({name: 'norm', epsilon, betaInitializer: tf.initializers.randomUniform({seed: 70 + index})}),
    ]});
    const dir = path.join(work, `model${index}`);
    await model.save(nodeFileSystem(dir));
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const stored = {json: path.join(work, `m${index}.json`), bin: path.join(work, `m${index}.bin`),
                    epsilon, output: predictData(model, x)};
    fs.writeFileSync(stored.json, JSON.stringify(json));
    fs.copyFileSync(path.join(dir, json.weightsManifest[0].paths[0]), stored.bin);
    models.push(stored);
    model.dispose();
  }
});
afterAll(() => {
  x?.dispose();
  removeTempDirs();
});

/** Which model the folder loads as (0 or 1); fails on anything else. */
async function loadsAs(dir: string): Promise<number> {
  const model = await tf.loadLayersModel(nodeFileSystem(dir));
  try {
    const epsilon = model.getLayer('norm').getConfig().epsilon;
    const which = models.findIndex(m => m.epsilon === epsilon);
    expect(which).toBeGreaterThanOrEqual(0);
    // Weights of the same model as the topology, bit for bit.
    expect(predictData(model, x)).toEqual(models[which].output);
    return which;
  } finally {
    model.dispose();
  }
}

/** A folder holding model 0, saved in this process. */
function folderWithModel0(): string {
  const dir = path.join(tempDir(), 'model');
  const r = spawnSync(process.execPath, [child, dir, models[0].json, models[0].bin, 'once'], {encoding: 'utf8'});
  expect(r.stdout).toBe('ok\n');
  return dir;
}

function childArgs(dir: string) {
  return [child, dir, models[1].json, models[1].bin, models[0].json, models[0].bin, 'loop'];
}

/** A child started ahead of time, waiting for its go. */
function startChild(dir: string): Promise<{process: ChildProcess, saves: () => number}> {
  const proc = spawn(process.execPath, childArgs(dir), {stdio: ['pipe', 'pipe', 'inherit']});
  let saves = 0;
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (text: string) => {
      if (text.startsWith('ready')) {
        resolve({process: proc, saves: () => saves});
      }
      saves += (text.match(/s/g) ?? []).length;
    });
  });
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

test(`SIGKILL at random moments of a save loop, ${KILLS} times: the folder always loads as the old or the new model`, async () => {
  const dir = folderWithModel0();
  const seen = [0, 0];
  let leftovers = new Set<string>();
  let midSave = 0;  // kills that left a save's temporary files behind
  let saveMs = 10;  // running estimate of one save's duration
  // Children started ahead of time (node's start-up is most of a kill's
  // cost), each waiting for its go.
  const spares = [startChild(dir), startChild(dir)];
  try {
    for (let kill = 0; kill < KILLS; kill++) {
      const running = await spares.shift()!;
      spares.push(startChild(dir));
      const started = Date.now();
      running.process.stdin!.write('go\n');
      // Uniform over about three saves, so kills land in every step of one.
      await sleep(Math.random() * 3 * saveMs);
      const exited = new Promise(resolve => running.process.once('exit', resolve));
      running.process.kill('SIGKILL');
      await exited;
      const saves = running.saves();
      if (saves > 0) {
        saveMs = 0.8 * saveMs + 0.2 * (Date.now() - started) / saves;
      }
      // Besides the model, only killed saves' marks and temporary files may
      // be there (younger than the lease: kept, as a live save's would be).
      const now = new Set(fs.readdirSync(dir).filter(f => f !== 'model.json' && !WEIGHTS_FILE.test(f)));
      for (const f of now) {
        expect(f).toMatch(OWN_FILE);
      }
      midSave += [...now].some(f => !leftovers.has(f)) ? 1 : 0;
      leftovers = now;
      seen[await loadsAs(dir)]++;
    }
  } finally {
    for (const spare of spares) (await spare).process.kill('SIGKILL');
  }
  // Kills landed mid-save, and saves completed between kills.
  expect(midSave).toBeGreaterThan(0);
  expect(seen[1]).toBeGreaterThan(0);
  // The next save leaves them while they are younger than the lease (they
  // could be a live save's, in another PID namespace or host)...
  const save1 = () => spawnSync(process.execPath, [child, dir, models[1].json, models[1].bin, 'once'], {encoding: 'utf8'});
  expect(save1().stdout).toBe('ok\n');
  expect(fs.readdirSync(dir).filter(f => OWN_FILE.test(f)).sort()).toEqual([...leftovers].sort());
  // ...and removes them, and the weights their marks kept, once older.
  const expired = (Date.now() - LEASE_MS - 60000) / 1000;
  for (const f of leftovers) {
    fs.utimesSync(path.join(dir, f), expired, expired);
  }
  expect(save1().stdout).toBe('ok\n');
  expect(fs.readdirSync(dir).sort()).toEqual(['model.json', expect.stringMatching(WEIGHTS_FILE)]);
  expect(await loadsAs(dir)).toBe(1);
}, 300000);  // about 20 s on an idle machine of two cores

test('a file size limit hit while writing the weights (EFBIG, as on a full disk): old model intact, no temporary file', async () => {
  const dir = folderWithModel0();
  const before = fs.readdirSync(dir).sort();
  // ulimit -f counts KiB: room for model.json, not for 64 KB of weights.
  const r = spawnSync('bash', ['-c', 'ulimit -f 16 && exec "$0" "$@"', process.execPath, child, dir,
                               models[1].json, models[1].bin, 'once'], {encoding: 'utf8'});
  expect(JSON.parse(r.stdout).message).toMatch(new RegExp(
      `^nodeFileSystem: saving the model to '${dir}' failed: cannot write the weights ` +
      `'${dir}/\\.tfjs-layernorm\\.[0-9a-f]{16}\\.weights\\.tmp': EFBIG`));
  expect(fs.readdirSync(dir).sort()).toEqual(before);
  expect(await loadsAs(dir)).toBe(0);
});

test('a folder the saving user may not write to (EACCES): old model intact, the error names the path', async () => {
  const dir = folderWithModel0();
  const before = fs.readdirSync(dir).sort();
  // Root may write anywhere, so the child runs as an unprivileged user.
  const asRoot = process.getuid!() === 0;
  for (const readable of [work, path.dirname(dir)]) {
    fs.chmodSync(readable, 0o755);
  }
  fs.chmodSync(dir, asRoot ? 0o755 : 0o555);
  const r = spawnSync(process.execPath, [child, dir, models[1].json, models[1].bin, 'once'],
                      {encoding: 'utf8', ...(asRoot ? {uid: 65534, gid: 65534} : {})});
  fs.chmodSync(dir, 0o755);
  expect(JSON.parse(r.stdout).message).toMatch(new RegExp(
      `^nodeFileSystem: saving the model to '${dir}' failed: cannot mark the save as pending '${dir}/\\.tfjs-layernorm\\.[0-9a-f]{16}\\.pending': EACCES`));
  expect(fs.readdirSync(dir).sort()).toEqual(before);
  expect(await loadsAs(dir)).toBe(0);
});

test('savers in separate PID namespaces racing into one folder: every save resolves and leaves a whole model', async () => {
  const RACE_MS = 5000;
  const dir = folderWithModel0();
  // Not root: a user namespace grants the PID namespace.
  const unshare = ['--pid', '--kill-child', '--mount-proc', ...(process.getuid!() === 0 ? [] : ['--map-root-user'])];
  // One saver is PID 1 of its namespace; the other gets a PID past the first
  // one's threads (whose ids count as live PIDs), so to the first it names
  // no process at all.
  const PIDS_USED_FIRST = 100;
  const racers = ['exec "$@"', `for i in $(seq ${PIDS_USED_FIRST}); do /bin/true; done; "$@"; exit $?`].map(script => {
    const proc = spawn('unshare', [...unshare, 'sh', '-c', script, 'sh', process.execPath, child, dir,
                                   models[1].json, models[1].bin, models[0].json, models[0].bin, `race:${RACE_MS}`],
                       {stdio: ['pipe', 'pipe', 'inherit']});
    let out = '';
    proc.stdout!.setEncoding('utf8');
    const ready = new Promise<void>((resolve, reject) => {
      proc.once('error', reject);
      proc.stdout!.on('data', (text: string) => {
        out += text;
        if (out.startsWith('ready\n')) resolve();
      });
    });
    const done = new Promise<{saves: number, failed: string[], broken: string[]}>((resolve, reject) =>
      proc.once('exit', status => status === 0 ? resolve(JSON.parse(out.slice('ready\n'.length))) :
                                                 reject(new Error(`a saver exited with ${status}: ${out}`))));
    return {proc, ready, done};
  });
  try {
    await Promise.all(racers.map(r => r.ready));
    racers.forEach(r => r.proc.stdin!.write('go\n'));
    const results = await Promise.all(racers.map(r => r.done));
    for (const result of results) {
      expect(result.failed.slice(0, 3)).toEqual([]);
      expect(result.broken.slice(0, 3)).toEqual([]);
      expect(result.saves).toBeGreaterThan(0);
    }
  } finally {
    racers.forEach(r => r.proc.kill('SIGKILL'));
  }
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  expect(fs.existsSync(path.join(dir, json.weightsManifest[0].paths[0]))).toBe(true);
  await loadsAs(dir);
  // With both gone, one more save leaves nothing but its model.
  const r = spawnSync(process.execPath, [child, dir, models[0].json, models[0].bin, 'once'], {encoding: 'utf8'});
  expect(r.stdout).toBe('ok\n');
  expect(fs.readdirSync(dir).sort()).toEqual(['model.json', expect.stringMatching(WEIGHTS_FILE)]);
  expect(await loadsAs(dir)).toBe(0);
}, 60000);
