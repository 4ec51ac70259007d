/**
 * The files of a saved model in Node: publishing them atomically and reading
 * them back without ever leaving the model's folder. No TF.js import, so a
 * process that only saves can load this alone.
 *
 * Save layout: `model.json` names one `weights.<id>.bin` (16 hex), a name no
 * other save ever uses. A save marks itself pending
 * (`.tfjs-layernorm.<id>.pending`), writes and fsyncs the weights under a
 * temporary name, renames them to their final name, then writes, fsyncs and
 * renames `model.json` over the old one, and only then drops its mark.
 * Renames are atomic, so a reader sees the old model.json (whose weights are
 * still there) or the new one (whose weights are already there). Afterwards
 * weights that no model.json names and no mark protects are removed. Nothing
 * depends on process ids (they say nothing across PID namespaces or hosts
 * sharing a folder): a mark or temporary file counts as abandoned only once
 * it is older than a lease.
 */

export const MODEL_JSON_FILE = 'model.json';
/** What tfjs-node's `file://` handler and earlier versions of this package write. */
export const LEGACY_WEIGHTS_FILE = 'weights.bin';

interface Stats {
  isFile(): boolean;
  isDirectory(): boolean;
  size: number;
  mode: number;
  mtimeMs: number;
}
interface FileHandle {
  stat(): Promise<Stats>;
  read(buffer: Uint8Array, offset: number, length: number, position: number):
      Promise<{bytesRead: number}>;
  readFile(): Promise<Uint8Array>;
  writeFile(data: Uint8Array|string): Promise<void>;
  chmod(mode: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}
/** The parts of Node's `fs`, `path` and `crypto` used here, typed so the build needs no Node typings. */
export interface NodeModules {
  fs: {
    open(path: string, flags: string|number, mode?: number): Promise<FileHandle>;
    stat(path: string): Promise<Stats>;
    lstat(path: string): Promise<Stats>;
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

/** Bytes per element of each weight dtype, and of each quantized storage dtype. */
const DTYPE_BYTES: {[dtype: string]: number} = {
  float32: 4, int32: 4, bool: 1, complex64: 8,
};
const QUANTIZED_BYTES: {[dtype: string]: number} = {
  uint8: 1, uint16: 2, float16: 2,
};

/** Own keys only: a dtype of 'constructor' is not a dtype. */
function hasOwn(table: object, key: unknown): boolean {
  return typeof key === 'string' &&
      Object.prototype.hasOwnProperty.call(table, key);
}

/** A manifest value shortened for an error message. */
function shown(value: unknown): string {
  const MAX_CHARS = 80;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}

/**
 * Bytes the manifest entry `entry` (its place, e.g.
 * `weightsManifest[0].weights[2]`) declares. String weights are refused:
 * their encoded size is declared nowhere, so their files could not be
 * checked before being read.
 */
function entryBytes(value: unknown, where: string, entry: string): number {
  const w = value as WeightGroup['weights'][number];
  if (w == null || typeof w !== 'object' || typeof w.name !== 'string') {
    throw new Error(`${where}: ${entry} must be an object {name, shape, ` +
                    `dtype} with a string name; got ${shown(value)}`);
  }
  const named = `${entry} ('${w.name}')`;
  if (w.dtype === 'string') {
    throw new Error(`${where}: ${named} has dtype 'string'; nodeFileSystem ` +
                    `loads numeric weights only (a string weight's size is ` +
                    `not declared, so its file could not be checked before ` +
                    `being read)`);
  }
  if (w.quantization != null &&
      (typeof w.quantization !== 'object' ||
       !hasOwn(QUANTIZED_BYTES, w.quantization.dtype))) {
    throw new Error(`${where}: ${named} has quantization ${
        shown(w.quantization)}; expected {dtype} with dtype one of ${
        Object.keys(QUANTIZED_BYTES).join(', ')}`);
  }
  const bytes = w.quantization != null ?
      QUANTIZED_BYTES[w.quantization.dtype!] :
      hasOwn(DTYPE_BYTES, w.dtype) ? DTYPE_BYTES[w.dtype] :
                                                    undefined;
  if (bytes == null) {
    throw new Error(`${where}: ${named} has dtype ${
        shown(w.dtype)}; expected one of ${
        Object.keys(DTYPE_BYTES).join(', ')}`);
  }
  if (!Array.isArray(w.shape) ||
      !w.shape.every(d => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${where}: ${named} has shape ${
        shown(w.shape)}; expected a list of non-negative integers`);
  }
  return bytes * w.shape.reduce((a, b) => a * b, 1);
}

/** A weights file to read: its real path and the size it had when checked. */
interface WeightFile {
  file: string;
  size: number;
}

/**
 * Reads the weight files a manifest names, relative to `directory`, into one
 * buffer in manifest order. Before any byte is read: every entry is checked,
 * each file must resolve (symlinks followed) inside the directory, be listed
 * once, be a regular file, and the files of a group must together hold the
 * bytes the group declares. So memory stays at the declared size, and reads
 * stop at the sizes checked even if a file grows.
 */
export async function readWeightFiles(
    m: NodeModules, directory: string, manifest: WeightGroup[],
    modelJsonPath: string): Promise<ArrayBuffer> {
  const where = `nodeFileSystem: '${modelJsonPath}'`;
  if (!Array.isArray(manifest)) {
    throw new Error(`${where}: weightsManifest must be a list of ` +
                    `{paths, weights} groups; got ${shown(manifest)}`);
  }
  const declared = manifest.map((group, index) => {
    if (group == null || !Array.isArray(group.paths) ||
        !group.paths.every(p => typeof p === 'string' && p !== '') ||
        !Array.isArray(group.weights)) {
      throw new Error(`${where}: weightsManifest[${index}] must hold ` +
                      `'paths' (non-empty strings) and 'weights' (a list); ` +
                      `got ${shown(group)}`);
    }
    return group.weights.reduce(
        (total, w, i) => total +
            entryBytes(w, where, `weightsManifest[${index}].weights[${i}]`),
        0);
  });
  let root: string;
  try {
    root = await m.fs.realpath(directory === '' ? '.' : directory);
  } catch (e) {
    throw new Error(`${where}: cannot resolve the model's folder '${
        directory}': ${message(e)}`);
  }
  // Every path resolved and checked first, then every size, then reading.
  const listedAt = new Map<string, string>();  // real path -> manifest place
  const realPaths: string[][] = [];
  for (const [index, group] of manifest.entries()) {
    const files: string[] = [];
    for (const [i, name] of group.paths.entries()) {
      const place = `weightsManifest[${index}].paths[${i}]`;
      const file = await weightPath(m, root, directory, name, where);
      const earlier = listedAt.get(file);
      if (earlier != null) {
        throw new Error(`${where}: ${place} ('${name}') names the weights ` +
                        `file '${file}', which ${earlier} already names; ` +
                        `each file may be listed once`);
      }
      listedAt.set(file, place);
      files.push(file);
    }
    realPaths.push(files);
  }
  const groups: WeightFile[][] = [];
  for (const [index, group] of manifest.entries()) {
    const files: WeightFile[] = [];
    for (const file of realPaths[index]) {
      const {handle, size} = await openWeightFile(m, file, where);
      await handle.close();
      files.push({file, size});
    }
    const actual = files.reduce((n, f) => n + f.size, 0);
    if (actual !== declared[index]) {
      const names = files.map(f => f.file);
      throw new Error(`${where}: the weights file${
          names.length > 1 ? 's' : ''} '${names.join(`', '`)}' hold${
          names.length > 1 ? '' : 's'} ${actual} bytes, but its manifest ` +
                      `declares ${declared[index]} bytes for them (weights ${
                          group.weights.map(w => w.name).join(', ')})`);
    }
    groups.push(files);
  }
  const data = new Uint8Array(declared.reduce((a, b) => a + b, 0));
  let offset = 0;
  for (const {file, size} of groups.flat()) {
    const {handle, size: now} = await openWeightFile(m, file, where);
    try {
      const changed = () => new Error(`${where}: the weights file '${
          file}' changed while being loaded (it held ${size} bytes)`);
      if (now !== size) {
        throw changed();
      }
      for (let done = 0; done < size;) {
        const {bytesRead} =
            await handle.read(data, offset + done, size - done, done);
        if (bytesRead === 0) {
          throw changed();
        }
        done += bytesRead;
      }
    } finally {
      await handle.close();
    }
    offset += size;
  }
  return data.buffer;
}

/** Opens a weights file (not following a last symlink: it was resolved); errors keep their `code`. */
async function openWeightFile(m: NodeModules, file: string, where: string) {
  try {
    return await openRegularFile(m, file, true);
  } catch (e) {
    const error = new Error(`${where} names the weights file '${
        file}', which cannot be read: ${message(e)}`);
    (error as {code?: string}).code = code(e);
    throw error;
  }
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
/** This package's own marks and temporary files, named after the save's weights id. */
const OWN_PREFIX = '.tfjs-layernorm.';
const OWN_FILE =
    /^\.tfjs-layernorm\.([0-9a-f]{16})\.(pending|weights\.tmp|model\.json\.tmp)$/;
/**
 * Earlier versions' marks and weights temporaries: names no one else makes.
 * (Their `.model.json.<pid>.<hex>.tmp` could be another tool's: left alone.)
 */
const OLD_PENDING = /^\.pending\.(weights\.[0-9a-f]{16}\.bin)\.\d+$/;
const OLD_WEIGHTS_TEMP = /^\.weights\.[0-9a-f]{16}\.bin\.\d+\.[0-9a-f]{8}\.tmp$/;
/**
 * Age after which a mark or temporary file counts as abandoned (its saver
 * killed). A save must publish within it: far longer than writing any model.
 */
export const LEASE_MS = 60 * 60 * 1000;
/** Mode of new files when there is no model.json to take it from (less the umask). */
const DEFAULT_MODE = 0o644;

async function removeIfThere(m: NodeModules, file: string): Promise<void> {
  try {
    await m.fs.unlink(file);
  } catch (e) {
    if (code(e) !== 'ENOENT') {
      throw e;
    }
  }
}

/**
 * Creates `file` (never over an existing one), writes and fsyncs it; with
 * `mode`, gives it exactly that mode before any byte is written. Returns its
 * stats.
 */
async function writeSynced(
    m: NodeModules, file: string, data: Uint8Array|string,
    mode: number|null): Promise<Stats> {
  const handle = await m.fs.open(file, 'wx', mode ?? DEFAULT_MODE);
  try {
    if (mode != null) {
      await handle.chmod(mode);  // the umask narrowed the mode asked for
    }
    await handle.writeFile(data);
    await handle.sync();
    return await handle.stat();
  } finally {
    await handle.close();
  }
}

/** The permission bits of the model.json a save replaces, which its files keep; null when there is none. */
async function modeToKeep(m: NodeModules, modelJson: string):
    Promise<number|null> {
  const PERMISSION_BITS = 0o777;
  try {
    return (await m.fs.stat(modelJson)).mode & PERMISSION_BITS;
  } catch {
    return null;
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
 * the model.json text `modelJsonFor(weightsFileName)` returns, both with the
 * mode of the model.json they replace. Either the whole new model is
 * published or the folder keeps what it had and no temporary file stays;
 * errors name the step and the file. Resolves, once published, to the
 * problems met removing earlier saves' leftovers (none when all went).
 */
export async function saveModelFiles(
    m: NodeModules, directory: string, weights: Uint8Array,
    modelJsonFor: (weightsFile: string) => string): Promise<string[]> {
  let step = 'create the folder';
  let file = directory;
  const made: string[] = [];  // files to remove unless the save completes
  let leaseStart: number;
  try {
    await m.fs.mkdir(directory, {recursive: true});
    const id = m.randomHex(8);
    const weightsName = `weights.${id}.bin`;
    const weightsFile = m.path.join(directory, weightsName);
    const own = (kind: string) =>
        m.path.join(directory, `${OWN_PREFIX}${id}.${kind}`);
    const pending = own('pending');
    const weightsTemp = own('weights.tmp');
    const jsonTemp = own('model.json.tmp');
    const jsonFile = m.path.join(directory, MODEL_JSON_FILE);
    const mode = await modeToKeep(m, jsonFile);

    step = 'mark the save as pending', file = pending;
    made.push(pending);
    // The folder's clock (a network file system's, too) dates the leases.
    leaseStart = (await writeSynced(m, pending, '', null)).mtimeMs;
    step = 'write the weights', file = weightsTemp;
    made.push(weightsTemp);
    await writeSynced(m, weightsTemp, weights, mode);
    step = 'publish the weights (rename)', file = weightsFile;
    made.push(weightsFile);
    await m.fs.rename(weightsTemp, weightsFile);
    step = 'write model.json', file = jsonTemp;
    made.push(jsonTemp);
    await writeSynced(m, jsonTemp, modelJsonFor(weightsName), mode);
    step = 'publish model.json (rename)', file = jsonFile;
    await m.fs.rename(jsonTemp, jsonFile);
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
  return removeStaleFiles(m, directory, leaseStart);
}

/** The files of `directory` a model.json names (normalized relative paths). */
function namedFiles(m: NodeModules, json: unknown): Set<string> {
  const named = new Set<string>();
  const manifest = (json as {weightsManifest?: unknown})?.weightsManifest;
  for (const group of Array.isArray(manifest) ? manifest : []) {
    const paths = (group as {paths?: unknown})?.paths;
    for (const p of Array.isArray(paths) ? paths : []) {
      if (typeof p === 'string' && p !== '') {
        named.add(m.path.join(p));
      }
    }
  }
  return named;
}

/**
 * Removes weights no model.json names and no pending save is publishing,
 * and this package's marks and temporary files older than `LEASE_MS` at
 * `now` (the folder's clock). Files of other names are never touched.
 * Goes on past failures and returns them: the model is published whatever
 * happens here, and what stays is only waste the next save retries.
 */
export async function removeStaleFiles(
    m: NodeModules, directory: string, now: number): Promise<string[]> {
  const problems: string[] = [];
  const remove = async (name: string) => {
    const file = m.path.join(directory, name);
    try {
      await removeIfThere(m, file);
    } catch (e) {
      problems.push(`cannot remove '${file}': ${message(e)}`);
    }
  };
  let candidates: string[];
  let entries: string[];
  try {
    candidates = (await m.fs.readdir(directory))
                     .filter(f => WEIGHTS_FILE.test(f) ||
                                 f === LEGACY_WEIGHTS_FILE);
    // Listed after the weights: a pending mark is made before its weights
    // get their name and removed only after model.json names them, so a
    // weights file seen above with no fresh mark below was published (and
    // model.json, read after this, tells whether it still is) or abandoned.
    entries = await m.fs.readdir(directory);
  } catch (e) {
    return [`cannot list '${directory}': ${message(e)}`];
  }
  const live = new Set<string>();
  for (const entry of entries) {
    const own = OWN_FILE.exec(entry);
    const oldPending = OLD_PENDING.exec(entry);
    if (own == null && oldPending == null && !OLD_WEIGHTS_TEMP.test(entry)) {
      continue;
    }
    let fresh: boolean;
    try {
      fresh = now - (await m.fs.lstat(m.path.join(directory, entry))).mtimeMs <
          LEASE_MS;
    } catch (e) {
      if (code(e) === 'ENOENT') {
        continue;  // its save has ended since the listing
      }
      problems.push(`cannot read the age of '${
          m.path.join(directory, entry)}': ${message(e)}`);
      fresh = true;
    }
    const protects = own?.[2] === 'pending' ? `weights.${own[1]}.bin` :
                                               oldPending?.[1];
    if (fresh) {
      if (protects != null) {
        live.add(protects);
      }
    } else {
      await remove(entry);
    }
  }
  const jsonFile = m.path.join(directory, MODEL_JSON_FILE);
  let named: Set<string>;
  try {
    named = namedFiles(m, JSON.parse(new TextDecoder().decode(
        await readRegularFile(m, jsonFile))));
  } catch (e) {
    problems.push(`cannot read which weights '${
        jsonFile}' names, so none were removed: ${message(e)}`);
    return problems;
  }
  for (const f of candidates) {
    if (!named.has(f) && !live.has(f)) {
      await remove(f);
    }
  }
  return problems;
}
