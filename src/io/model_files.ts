/**
 * The files of a saved model in Node: publishing them atomically and reading
 * them back without ever leaving the model's folder. No TF.js import, so a
 * process that only saves can load this alone.
 *
 * Save layout: `model.json` names one `weights.<16 hex>.bin`, a name no other
 * save ever uses. A save writes and fsyncs the weights under a temporary
 * name, renames them to their final name, then writes, fsyncs and renames
 * `model.json` over the old one. Renames are atomic, so a reader sees the
 * old model.json (whose weights are still there) or the new one (whose
 * weights are already there). Only then are weights no model.json names
 * removed; a `.pending.<weights>.<pid>` marker, created before the weights
 * get their final name and removed after model.json is published, keeps a
 * concurrent save's weights from being removed in between.
 */

export const MODEL_JSON_FILE = 'model.json';
/** What tfjs-node's `file://` handler and earlier versions of this package write. */
export const LEGACY_WEIGHTS_FILE = 'weights.bin';

interface Stats {
  isFile(): boolean;
  isDirectory(): boolean;
  size: number;
}
interface FileHandle {
  stat(): Promise<Stats>;
  readFile(): Promise<Uint8Array>;
  writeFile(data: Uint8Array|string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}
/** The parts of Node's `fs`, `path` and `crypto` used here, typed so the build needs no Node typings. */
export interface NodeModules {
  fs: {
    open(path: string, flags: string|number, mode?: number): Promise<FileHandle>;
    stat(path: string): Promise<Stats>;
    realpath(path: string): Promise<string>;
    mkdir(path: string, options: {recursive: true}): Promise<unknown>;
    rename(from: string, to: string): Promise<void>;
    unlink(path: string): Promise<void>;
    readdir(path: string): Promise<string[]>;
  };
  constants: {O_RDONLY: number, O_NONBLOCK?: number, O_NOFOLLOW?: number};
  path: {
    join(...parts: string[]): string;
    dirname(p: string): string;
    relative(from: string, to: string): string;
    resolve(...parts: string[]): string;
    isAbsolute(p: string): boolean;
    sep: string;
  };
  randomHex(bytes: number): string;
}

interface NodeProcess {
  versions?: {node?: string};
  pid?: number;
  kill?(pid: number, signal: number): void;
}
function nodeProcess(): NodeProcess|undefined {
  return (globalThis as {process?: NodeProcess}).process;
}

export function isNode(): boolean {
  return typeof nodeProcess()?.versions?.node === 'string';
}

export async function nodeModules(): Promise<NodeModules> {
  if (!isNode()) {
    throw new Error(
        'nodeFileSystem: saving and loading files needs Node.js (its fs ' +
        'module); in a browser use tf.io.browserFiles, indexeddb:// or http');
  }
  // Non-literal specifiers keep bundlers from trying to resolve them.
  const load = (name: string) => import(name);
  const [fs, path, crypto] = await Promise.all(
      [load('fs'), load('path'), load('crypto')]);
  return {
    fs: fs.promises,
    constants: fs.constants,
    path,
    randomHex: (bytes: number) => crypto.randomBytes(bytes).toString('hex'),
  };
}

function message(e: unknown): string {
  const text = (e as {message?: unknown})?.message;
  return typeof text === 'string' ? text : String(e);
}

function code(e: unknown): string|undefined {
  return (e as {code?: string})?.code;
}

// ---------------------------------------------------------------- reading

/**
 * Opens a regular file for reading: O_NONBLOCK so a FIFO cannot block the
 * open, then the type is checked on the open descriptor (no race with a
 * file swapped after a stat). `noFollow` refuses a symlink as the last
 * component.
 */
async function openRegularFile(
    m: NodeModules, file: string, noFollow: boolean):
    Promise<{handle: FileHandle, size: number}> {
  const c = m.constants;
  const flags = c.O_RDONLY | (c.O_NONBLOCK ?? 0) |
      (noFollow ? (c.O_NOFOLLOW ?? 0) : 0);
  const handle = await m.fs.open(file, flags);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new Error(`not a regular file (${
          stats.isDirectory() ? 'a directory' : 'a device, FIFO or socket'})`);
    }
    return {handle, size: stats.size};
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Reads a whole regular file; errors are thrown as `Error`s carrying `code`. */
export async function readRegularFile(
    m: NodeModules, file: string, noFollow = false): Promise<Uint8Array> {
  const {handle} = await openRegularFile(m, file, noFollow);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

export interface WeightGroup {
  paths: string[];
  weights: Array<{name: string, shape: number[], dtype: string,
                  quantization?: {dtype?: string}}>;
}

const DTYPE_BYTES: {[dtype: string]: number} = {
  float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2,
  float16: 2,
};

/** Bytes a manifest group declares; null when a string weight makes it unknowable. */
function declaredBytes(group: WeightGroup, where: string): number|null {
  let total = 0;
  for (const w of group.weights) {
    if (w.dtype === 'string') {
      return null;
    }
    const dtype = w.quantization?.dtype ?? w.dtype;
    const bytes = DTYPE_BYTES[dtype];
    if (bytes == null || !Array.isArray(w.shape) ||
        !w.shape.every(d => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${where}: weight '${w.name}' has dtype ${
          JSON.stringify(dtype)} and shape ${
          JSON.stringify(w.shape)}; expected a TF.js dtype and a list of ` +
                      `non-negative integers`);
    }
    total += bytes * w.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

/**
 * Reads the weight files a manifest names, relative to `directory`: each
 * must resolve (symlinks followed) inside the directory, be a regular file,
 * and the files of a group must together hold the bytes the group declares.
 * Returns the bytes of every file in manifest order.
 */
export async function readWeightFiles(
    m: NodeModules, directory: string, manifest: WeightGroup[],
    modelJsonPath: string): Promise<Uint8Array[]> {
  const where = `nodeFileSystem: '${modelJsonPath}'`;
  if (!Array.isArray(manifest)) {
    throw new Error(`${where}: weightsManifest must be a list of ` +
                    `{paths, weights} groups; got ${JSON.stringify(manifest)}`);
  }
  let root: string;
  try {
    root = await m.fs.realpath(directory === '' ? '.' : directory);
  } catch (e) {
    throw new Error(`${where}: cannot resolve the model's folder '${
        directory}': ${message(e)}`);
  }
  const buffers: Uint8Array[] = [];
  for (const [index, group] of manifest.entries()) {
    if (group == null || !Array.isArray(group.paths) ||
        !group.paths.every(p => typeof p === 'string' && p !== '') ||
        !Array.isArray(group.weights)) {
      throw new Error(`${where}: weightsManifest[${index}] must hold ` +
                      `'paths' (non-empty strings) and 'weights' (a list)`);
    }
    const expected = declaredBytes(group, where);
    let actual = 0;
    const files: string[] = [];
    for (const name of group.paths) {
      const file = await weightPath(m, root, directory, name, where);
      files.push(file);
      let bytes: Uint8Array;
      try {
        bytes = await readRegularFile(m, file, true);
      } catch (e) {
        const error = new Error(`${where} names the weights file '${
            file}', which cannot be read: ${message(e)}`);
        (error as {code?: string}).code = code(e);
        throw error;
      }
      actual += bytes.byteLength;
      buffers.push(bytes);
    }
    if (expected != null && actual !== expected) {
      throw new Error(`${where}: the weights file${
          files.length > 1 ? 's' : ''} '${files.join(`', '`)}' hold${
          files.length > 1 ? '' : 's'} ${actual} bytes, but its manifest ` +
                      `declares ${expected} bytes for them (weights ${
                          group.weights.map(w => w.name).join(', ')})`);
    }
  }
  return buffers;
}

/** The real path of a manifest path, checked to lie inside the model's folder `root`. */
async function weightPath(
    m: NodeModules, root: string, directory: string, name: string,
    where: string): Promise<string> {
  const joined = m.path.join(directory, name);
  if (m.path.isAbsolute(name) || name.includes('\0')) {
    throw new Error(`${where} names the weights file '${
        name}': weight paths must be relative to the model's folder`);
  }
  const outside = (resolved: string, base: string) => {
    const relative = m.path.relative(base, resolved);
    return relative === '' || relative === '..' ||
        relative.startsWith(`..${m.path.sep}`) || m.path.isAbsolute(relative);
  };
  const refuse = (resolved: string) => new Error(
      `${where} names the weights file '${joined}', which resolves to '${
          resolved}', outside the model's folder '${
          root}'; weights are only read from inside it`);
  // Checked before touching the file: no hint of what exists outside.
  if (outside(m.path.resolve(joined), m.path.resolve(directory))) {
    throw refuse(m.path.resolve(joined));
  }
  let real: string;
  try {
    real = await m.fs.realpath(joined);
  } catch (e) {
    const error = new Error(`${where} names the weights file '${
        joined}', which cannot be read: ${message(e)}`);
    (error as {code?: string}).code = code(e);
    throw error;
  }
  if (outside(real, root)) {
    throw refuse(real);
  }
  return real;
}

// ---------------------------------------------------------------- saving

const WEIGHTS_FILE = /^weights\.[0-9a-f]{16}\.bin$/;
const PENDING = /^\.pending\.(weights\.[0-9a-f]{16}\.bin)\.(\d+)$/;
const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

function ownPid(): number {
  return nodeProcess()?.pid ?? 0;
}

function isAlive(pid: number): boolean {
  if (pid === ownPid()) {
    return true;
  }
  try {
    nodeProcess()?.kill?.(pid, 0);
    return true;
  } catch (e) {
    return code(e) === 'EPERM';  // alive, owned by someone else
  }
}

async function removeIfThere(m: NodeModules, file: string): Promise<void> {
  try {
    await m.fs.unlink(file);
  } catch (e) {
    if (code(e) !== 'ENOENT') {
      throw e;
    }
  }
}

async function writeSynced(
    m: NodeModules, file: string, data: Uint8Array|string): Promise<void> {
  const handle = await m.fs.open(file, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the renames durable across a power loss; not possible everywhere (Windows). */
async function syncDirectory(m: NodeModules, directory: string) {
  try {
    const handle = await m.fs.open(directory, m.constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the model is published either way.
  }
}

/**
 * Publishes a model in `directory` (created when missing): `weights`, and
 * the model.json text `modelJsonFor(weightsFileName)` returns. Either the
 * whole new model is published or the folder keeps what it had and no
 * temporary file stays; errors name the step and the file.
 */
export async function saveModelFiles(
    m: NodeModules, directory: string, weights: Uint8Array,
    modelJsonFor: (weightsFile: string) => string): Promise<void> {
  let step = 'create the folder';
  let file = directory;
  const made: string[] = [];  // files to remove unless the save completes
  try {
    await m.fs.mkdir(directory, {recursive: true});
    const pid = ownPid();
    const nonce = () => m.randomHex(4);
    const weightsName = `weights.${m.randomHex(8)}.bin`;
    const weightsFile = m.path.join(directory, weightsName);
    const pending = m.path.join(directory, `.pending.${weightsName}.${pid}`);
    const weightsTemp =
        m.path.join(directory, `.${weightsName}.${pid}.${nonce()}.tmp`);
    const jsonTemp =
        m.path.join(directory, `.${MODEL_JSON_FILE}.${pid}.${nonce()}.tmp`);

    step = 'mark the save as pending', file = pending;
    made.push(pending);
    await writeSynced(m, pending, '');
    step = 'write the weights', file = weightsTemp;
    made.push(weightsTemp);
    await writeSynced(m, weightsTemp, weights);
    step = 'publish the weights (rename)', file = weightsFile;
    made.push(weightsFile);
    await m.fs.rename(weightsTemp, weightsFile);
    step = 'write model.json', file = jsonTemp;
    made.push(jsonTemp);
    await writeSynced(m, jsonTemp, modelJsonFor(weightsName));
    step = 'publish model.json (rename)',
    file = m.path.join(directory, MODEL_JSON_FILE);
    await m.fs.rename(jsonTemp, file);
    made.splice(made.indexOf(weightsFile), 1);  // published: it stays
    await syncDirectory(m, directory);
    step = 'remove the pending mark', file = pending;
    await removeIfThere(m, pending);
    made.length = 0;
  } catch (e) {
    // Undo in reverse; the old model.json and its weights were never touched.
    for (const f of made.reverse()) {
      await removeIfThere(m, f).catch(() => undefined);
    }
    const error = new Error(`nodeFileSystem: saving the model to '${
        directory}' failed: cannot ${step} '${file}': ${message(e)}`);
    (error as {code?: string}).code = code(e);
    throw error;
  }
  await removeStaleFiles(m, directory);
}

/**
 * Removes weights no model.json names and no pending save is publishing,
 * and temporary files of processes that are gone. Files of other names are
 * never touched. Stale files are only waste, so errors here are ignored.
 */
export async function removeStaleFiles(
    m: NodeModules, directory: string): Promise<void> {
  try {
    const candidates = (await m.fs.readdir(directory))
                           .filter(f => WEIGHTS_FILE.test(f) ||
                                       f === LEGACY_WEIGHTS_FILE);
    // Listed after the weights: a pending mark is made before its weights
    // get their name and removed only after model.json names them, so a
    // weights file seen above with no live mark below was published (and
    // model.json, read after this, tells whether it still is) or abandoned.
    const entries = await m.fs.readdir(directory);
    const live = new Set<string>();
    for (const entry of entries) {
      const pending = PENDING.exec(entry);
      const temporary = TEMPORARY.exec(entry);
      if (pending == null && temporary == null) {
        continue;
      }
      const pid = Number(pending != null ? pending[2] : temporary![1]);
      if (isAlive(pid)) {
        if (pending != null) live.add(pending[1]);
      } else {
        await removeIfThere(m, m.path.join(directory, entry));
      }
    }
    const json = JSON.parse(new TextDecoder().decode(await readRegularFile(
        m, m.path.join(directory, MODEL_JSON_FILE))));
    const named = new Set<string>();
    for (const group of json.weightsManifest ?? []) {
      for (const p of group.paths ?? []) {
        named.add(String(p).replace(/^\.\//, ''));
      }
    }
    for (const f of candidates) {
      if (!named.has(f) && !live.has(f)) {
        await removeIfThere(m, m.path.join(directory, f));
      }
    }
  } catch {
    // Left for the next save to remove.
  }
}
