/**
 * A process that saves models with the save code of `nodeFileSystem`, for
 * the fault tests: `save_child <folder> <a.json> <a.bin> [<b.json> <b.bin>]
 * <once|loop>`. `once` saves the first model and prints `ok` or the error;
 * `loop` prints `ready`, waits for a line on stdin, then saves the models in
 * turn forever, printing `s` after each save.
 */
import * as fs from 'fs';

import {nodeModules, saveModelFiles} from '../../../src/io/model_files';

interface Model {
  json: {weightsManifest: Array<{paths: string[]}>};
  weights: Uint8Array;
}

function modelJsonFor(model: Model) {
  return (weightsFile: string) => JSON.stringify({
    ...model.json,
    weightsManifest: [{...model.json.weightsManifest[0], paths: [weightsFile]}],
  });
}

async function main() {
  const args = process.argv.slice(2);
  const dir = args[0];
  const mode = args[args.length - 1];
  const models: Model[] = [];
  for (let i = 1; i + 1 < args.length - 1; i += 2) {
    models.push({json: JSON.parse(fs.readFileSync(args[i], 'utf8')), weights: fs.readFileSync(args[i + 1])});
  }
  const m = await nodeModules();
  if (mode === 'once') {
    process.on('SIGXFSZ', () => undefined);  // a file size limit gives EFBIG instead
    try {
      await saveModelFiles(m, dir, models[0].weights, modelJsonFor(models[0]));
      process.stdout.write('ok\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({message: (e as Error).message}) + '\n');
    }
    return;
  }
  process.stdout.write('ready\n');
  await new Promise(resolve => process.stdin.once('data', resolve));
  for (let i = 0;; i++) {
    const model = models[i % models.length];
    await saveModelFiles(m, dir, model.weights, modelJsonFor(model));
    process.stdout.write('s\n');
  }
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
