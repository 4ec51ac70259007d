/**
 * Saving and loading models to and from files in Node without tfjs-node:
 * `nodeFileSystem(path)` is a `tf.io.IOHandler` for a folder holding
 * `model.json` and the weight files its manifest names.
 *
 * Node's modules are imported when a handler runs, never at module load, so
 * the browser bundles (which leave them external) load and only this fails.
 */
import * as tf from '@tensorflow/tfjs';

import {loadableArtifacts} from './keras_format';
import {isNode, MODEL_JSON_FILE, NodeModules, nodeModules, readRegularFile, readWeightFiles, saveModelFiles, WeightGroup} from './model_files';

export {isNode, MODEL_JSON_FILE};

async function isDirectory(m: NodeModules, path: string): Promise<boolean> {
  try {
    return (await m.fs.stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Loads retried when a concurrent save replaced the model mid-read. */
const LOAD_ATTEMPTS = 3;

/**
 * An IOHandler for files in Node.
 *
 * - `save`: `path` is a folder (created when missing); publishes
 *   `path/model.json` and one `path/weights.<id>.bin` atomically, with the
 *   mode of the model.json they replace: a reader sees the old model or the
 *   new one, and a failed save leaves the old one. Leftovers of earlier
 *   saves that cannot be removed are reported in the result's `errors` and
 *   by `console.warn`; the save still succeeded.
 * - `load`: `path` is a model.json file, or a folder holding one; the weight
 *   files its manifest names must lie inside that folder (symlinks resolved),
 *   be regular files, be listed once and hold the bytes the manifest
 *   declares (checked before any is read); string weights are refused.
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
      const m = await nodeModules();
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error('nodeFileSystem: saving a binary model topology ' +
                        '(a GraphModel) is not supported; save a LayersModel');
      }
      const weights = new Uint8Array(joinBuffers(artifacts.weightData));
      const problems = await saveModelFiles(m, path, weights, weightsFile => {
        const modelJson: tf.io.ModelJSON = {
          modelTopology: artifacts.modelTopology as {},
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          weightsManifest: [{
            paths: [weightsFile],
            weights: artifacts.weightSpecs ?? [],
          }],
        };
        for (const key of ['trainingConfig', 'signature', 'userDefinedMetadata',
                           'modelInitializer', 'initializerSignature'] as
             const) {
          if (artifacts[key] != null) {
            (modelJson as unknown as {[k: string]: unknown})[key] =
                artifacts[key];
          }
        }
        return JSON.stringify(modelJson);
      });
      const result: tf.io.SaveResult = {
        modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts),
      };
      if (problems.length > 0) {
        // The save succeeded; leftovers are only waste, so they warn.
        const warning = `nodeFileSystem: the model was saved to '${
            path}', but leftovers of earlier saves could not all be ` +
            `removed (the next save tries again): ${problems.join('; ')}`;
        console.warn(warning);
        result.errors = [warning];
      }
      return result;
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const m = await nodeModules();
      const modelJsonPath = await isDirectory(m, path) ?
          m.path.join(path, MODEL_JSON_FILE) :
          path;
      for (let attempt = 1;; attempt++) {
        const text = await readModelJson(m, modelJsonPath);
        const modelJson = parseModelJson(text, modelJsonPath);
        let weightData: ArrayBuffer;
        try {
          weightData = await readWeightFiles(
              m, m.path.dirname(modelJsonPath),
              (modelJson.weightsManifest ?? []) as WeightGroup[],
              modelJsonPath);
        } catch (e) {
          // A save that replaced model.json since it was read removes the
          // weights it named: read the new model instead.
          if ((e as {code?: string}).code === 'ENOENT' &&
              attempt < LOAD_ATTEMPTS &&
              await readModelJson(m, modelJsonPath).catch(() => text) !==
                  text) {
            continue;
          }
          throw e;
        }
        return loadableArtifacts(await tf.io.getModelArtifactsForJSON(modelJson, async manifest => [
          manifest.flatMap(group => group.weights), weightData,
        ]));
      }
    },
  };
}

async function readModelJson(m: NodeModules, file: string): Promise<string> {
  try {
    return new TextDecoder().decode(await readRegularFile(m, file));
  } catch (e) {
    throw new Error(`nodeFileSystem: cannot read the model file '${file}': ${
        (e as Error).message}`);
  }
}

function parseModelJson(text: string, file: string): tf.io.ModelJSON {
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(text);
  } catch (e) {
    throw new Error(`nodeFileSystem: '${file}' is not valid ` +
                    `JSON: ${(e as Error).message}`);
  }
  if (modelJson == null || typeof modelJson !== 'object' ||
      modelJson.modelTopology == null) {
    throw new Error(`nodeFileSystem: '${file}' has no ` +
                    `modelTopology; it is not a TF.js model.json`);
  }
  return modelJson;
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
