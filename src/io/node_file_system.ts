/**
 * Saving and loading models to and from files in Node without tfjs-node:
 * `nodeFileSystem(path)` is a `tf.io.IOHandler` writing and reading the
 * files tfjs-node's `file://` handler does (`model.json` + `weights.bin`).
 *
 * Node's `fs` is imported when a handler runs, never at module load, so the
 * browser bundles (which leave `fs` external) load and only this fails.
 */
import * as tf from '@tensorflow/tfjs';

export const MODEL_JSON_FILE = 'model.json';
export const WEIGHTS_BIN_FILE = 'weights.bin';

/** The parts of Node's `fs.promises` used here, typed so the build needs no Node typings. */
interface NodeFs {
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array|string): Promise<void>;
  mkdir(path: string, options: {recursive: true}): Promise<unknown>;
  stat(path: string): Promise<{isDirectory(): boolean}>;
}

export function isNode(): boolean {
  const process = (globalThis as {process?: {versions?: {node?: string}}})
                      .process;
  return typeof process?.versions?.node === 'string';
}

async function nodeFs(): Promise<NodeFs> {
  if (!isNode()) {
    throw new Error(
        'nodeFileSystem: saving and loading files needs Node.js (its fs ' +
        'module); in a browser use tf.io.browserFiles, indexeddb:// or http');
  }
  // A non-literal specifier keeps bundlers from trying to resolve `fs`.
  const specifier = 'fs';
  const fs = await import(specifier) as {promises: NodeFs};
  return fs.promises;
}

function joinPath(directory: string, file: string): string {
  return directory === '' ? file : `${directory.replace(/[\\/]+$/, '')}/${file}`;
}

function directoryOf(file: string): string {
  const cut = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return cut < 0 ? '' : file.slice(0, cut + 1);
}

async function isDirectory(fs: NodeFs, path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * An IOHandler for files in Node.
 *
 * - `save`: `path` is a directory (created when missing); writes
 *   `path/model.json` and `path/weights.bin`, as tfjs-node's `file://` does.
 * - `load`: `path` is a model.json file, or a directory holding one; the
 *   weight files are read from the paths in its manifest, relative to it.
 *
 * `tf.loadLayersModel(nodeFileSystem('dir/model.json'))`,
 * `model.save(nodeFileSystem('dir'))`.
 */
export function nodeFileSystem(path: string): tf.io.IOHandler {
  if (typeof path !== 'string' || path === '') {
    throw new Error(`nodeFileSystem: path must be a non-empty string (a ` +
                    `directory to save to, or a model.json to load); got ${
                        JSON.stringify(path)}`);
  }
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const fs = await nodeFs();
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('nodeFileSystem: saving a binary model topology ' +
                        '(a GraphModel) is not supported; save a LayersModel');
      }
      try {
        await fs.mkdir(path, {recursive: true});
      } catch (e) {
        throw new Error(`nodeFileSystem: cannot create the directory '${
            path}' to save to: ${(e as Error).message}`);
      }
      const weights = joinBuffers(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{
          paths: [WEIGHTS_BIN_FILE],
          weights: artifacts.weightSpecs ?? [],
        }],
      };
      for (const key of ['trainingConfig', 'signature', 'userDefinedMetadata',
                         'modelInitializer', 'initializerSignature'] as
           const) {
        if (artifacts[key] != null) {
          (modelJson as unknown as {[k: string]: unknown})[key] = artifacts[key];
        }
      }
      await fs.writeFile(
          joinPath(path, MODEL_JSON_FILE), JSON.stringify(modelJson));
      await fs.writeFile(
          joinPath(path, WEIGHTS_BIN_FILE), new Uint8Array(weights));
      return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts)};
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const fs = await nodeFs();
      const modelJsonPath = await isDirectory(fs, path) ?
          joinPath(path, MODEL_JSON_FILE) :
          path;
      let text: string;
      try {
        text = new TextDecoder().decode(await fs.readFile(modelJsonPath));
      } catch (e) {
        throw new Error(`nodeFileSystem: cannot read the model file '${
            modelJsonPath}': ${(e as Error).message}`);
      }
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(text);
      } catch (e) {
        throw new Error(`nodeFileSystem: '${modelJsonPath}' is not valid ` +
                        `JSON: ${(e as Error).message}`);
      }
      if (modelJson == null || typeof modelJson !== 'object' ||
          modelJson.modelTopology == null) {
        throw new Error(`nodeFileSystem: '${modelJsonPath}' has no ` +
                        `modelTopology; it is not a TF.js model.json`);
      }
      const directory = directoryOf(modelJsonPath);
      return tf.io.getModelArtifactsForJSON(modelJson, async manifest => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: Uint8Array[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const file of group.paths) {
            const weightsPath = joinPath(directory, file.replace(/^\.\//, ''));
            try {
              buffers.push(await fs.readFile(weightsPath));
            } catch (e) {
              throw new Error(`nodeFileSystem: cannot read the weights file '${
                  weightsPath}' named in '${modelJsonPath}': ${
                  (e as Error).message}`);
            }
          }
        }
        return [specs, joinBuffers(buffers.map(toArrayBuffer))];
      });
    },
  };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(
      bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function joinBuffers(data: tf.io.WeightData|undefined): ArrayBuffer {
  if (data == null) {
    return new ArrayBuffer(0);
  }
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return joined.buffer;
}

const FILE_SCHEME = 'file://';
const ROUTER_MARK = '__tfjsLayerNormFileRouter';

/**
 * Routes `file://` URLs in `model.save` / `tf.loadLayersModel` to
 * `nodeFileSystem`, in Node only. The router steps aside at call time
 * whenever another handler claims the URL (tfjs-node's, imported before or
 * after this package), so the two never both answer; registered once per
 * process even if this package is loaded twice (CommonJS and ESM).
 */
export function registerFileRouter(): void {
  const registry = globalThis as {[ROUTER_MARK]?: boolean};
  if (!isNode() || registry[ROUTER_MARK]) {
    return;
  }
  registry[ROUTER_MARK] = true;
  let asking = false;
  const othersClaim = (url: string, save: boolean) => {
    asking = true;
    try {
      return (save ? tf.io.getSaveHandlers(url) : tf.io.getLoadHandlers(url))
                 .length > 0;
    } finally {
      asking = false;
    }
  };
  // TF.js's IORouter type omits it, but its registry skips a router that
  // returns null: that is how a router declines a URL.
  const decline = null as unknown as tf.io.IOHandler;
  const router = (save: boolean) => (url: string|string[]) => {
    if (asking || typeof url !== 'string' || !url.startsWith(FILE_SCHEME) ||
        othersClaim(url, save)) {
      return decline;
    }
    return nodeFileSystem(url.slice(FILE_SCHEME.length));
  };
  tf.io.registerSaveRouter(router(true));
  tf.io.registerLoadRouter(router(false));
}
