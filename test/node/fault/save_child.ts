/**
 * A process that saves models with the save code of `nodeFileSystem`, for
 * the fault tests: `save_child <folder> <a.json> <a.bin> [<b.json> <b.bin>]
 * <once|loop|race:MS>`. `once` saves the first model and prints `ok` or the
 * error; `loop` prints `ready`, waits for a line on stdin, then saves the
 * models in turn forever, printing `s` after each save; `race:MS` does the
 * same for MS milliseconds, checks after each save that resolved that the
 * folder's model.json names only files that exist, and prints a summary
 * (JSON) at the end.
 */
import * as fs from 'fs';
import * as path from 'path';

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

/**
 * What is wrong with the published model, or null: model.json naming a
 * missing file and still the same model.json after that was seen (a
 * model.json, once replaced, never comes back).
 */
function brokenModel(dir: string): string|null {
  const file = path.join(dir, 'model.json');
  for (;;) {
    const text = fs.readFileSync(file, 'utf8');
    const paths: string[] = JSON.parse(text).weightsManifest[0].paths;
    const missing = paths.filter(p => !fs.existsSync(path.join(dir, p)));
    if (missing.length === 0) {
      return null;
    }
    if (fs.readFileSync(file, 'utf8') === text) {
      return `model.json names the missing ${missing.join(', ')}`;
    }
  }
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
  if (mode.startsWith('race:')) {
    const end = Date.now() + Number(mode.slice('race:'.length));
    const summary = {saves: 0, failed: [] as string[], broken: [] as string[]};
    for (let i = 0; Date.now() < end; i++) {
      const model = models[i % models.length];
      try {
        await saveModelFiles(m, dir, model.weights, modelJsonFor(model));
        summary.saves++;
      } catch (e) {
        summary.failed.push((e as Error).message);
        continue;
      }
      const broken = brokenModel(dir);
      if (broken != null) {
        summary.broken.push(broken);
      }
    }
    process.stdout.write(JSON.stringify(summary) + '\n');
    process.exit(0);  // stdin stays open
  }
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
