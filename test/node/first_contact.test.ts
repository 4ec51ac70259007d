/**
 * What a new user meets first: the demo's opening line, the WebGPU-in-Node
 * error's advice (executed as printed) and the editor hover of the op.
 */
import {spawnSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

import {removeTempDirs, tempDir} from './layer_helpers';

const {gpuEnvironment} = require('../../scripts/environment') as {gpuEnvironment(): Record<string, string>};

const ROOT = path.resolve(__dirname, '../..');

afterAll(removeTempDirs);

test('npm run demo says what it does before TF.js loads, then trains, saves, reloads and checks', () => {
  const out = path.join(tempDir(), 'demo-model');
  const env = {...process.env};
  delete env.DEMO_BACKEND;
  // stdout and stderr (where TF.js prints its banner) in the order a terminal shows them.
  const r = spawnSync('bash', ['-c', 'exec "$0" scripts/demo.js "$1" 2>&1', process.execPath, out],
                      {cwd: ROOT, encoding: 'utf8', env});
  expect(r.status).toBe(0);
  const lines = r.stdout.split('\n');
  expect(lines[0]).toMatch(/^tfjs-layernorm demo: trains a small classifier with a LayerNorm layer on the cpu backend, saves it/);
  expect(lines.findIndex(l => /looks like you are running TensorFlow\.js in Node\.js/.test(l))).toBeGreaterThan(0);
  expect(r.stdout).toMatch(/OK: reloaded outputs equal the trained model's/);
});

/** The warning `tf.setBackend('webgpu')` prints in a fresh Node without navigator.gpu. */
function webgpuWarning(): string {
  const script = `
    import * as tf from '@tensorflow/tfjs';
    import './src/entries/webgpu';
    const warnings = [];
    console.warn = (...args) => warnings.push(String(args[0]));
    await tf.setBackend('webgpu');
    console.log(JSON.stringify(warnings.join('\\n')));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
                      {cwd: ROOT, encoding: 'utf8'});
  if (r.status !== 0) throw new Error(`the child process failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('the WebGPU-in-Node error prints the README\'s recipe, and that recipe runs the op on webgpu (Node ' +
     `${process.versions.node.split('.')[0]})`, () => {
  const warning = webgpuWarning();
  // The code is the block between the blank lines after "in an ES module ...:".
  const intro = warning.indexOf('in an ES module');
  expect(intro).toBeGreaterThan(0);
  const block = warning.slice(intro).split('\n\n')[1];
  const code = block.split('\n');
  expect(code[0]).toBe(`import {create, globals} from 'webgpu';`);
  expect(code[code.length - 1]).toBe(`await tf.setBackend('webgpu');`);
  // Each line is the README's too (one recipe, run as pasted by scripts/test_package.js).
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const line of code.filter(l => !l.includes('setBackend'))) expect(readme).toContain(line);

  // Run as printed, as a user's ES module beside this repository's node_modules, with the
  // package's specifiers pointing at its sources.
  fs.mkdirSync(path.join(ROOT, '.out'), {recursive: true});
  const dir = fs.mkdtempSync(path.join(ROOT, '.out', 'webgpu-advice-'));
  try {
    const rows = [[1, 2, 3, 4], [10, 20, 30, 50]];
    const program = block
        .replace(`'tfjs-layernorm/webgpu'`, JSON.stringify(path.join(ROOT, 'src/entries/webgpu.ts')))
        .replace(`'tfjs-layernorm'`, JSON.stringify(path.join(ROOT, 'src/index.ts'))) + `
if (tf.getBackend() !== 'webgpu') throw new Error('backend: ' + tf.getBackend());
console.log(JSON.stringify(await layerNorm(tf.tensor2d(${JSON.stringify(rows)})).array()));
`;
    fs.writeFileSync(path.join(dir, 'advice.mts'), program);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'advice.mts'],
                        {cwd: dir, encoding: 'utf8', env: {...process.env, ...gpuEnvironment()}});
    if (r.status !== 0) throw new Error(`the advice failed (${r.status}):\n${r.stdout}${r.stderr}`);
    const y: number[][] = JSON.parse(r.stdout.trim().split('\n').pop()!);
    // float64 reference, epsilon 1e-5 (the default); float32 GPU arithmetic.
    rows.forEach((row, i) => {
      const mean = row.reduce((a, b) => a + b, 0) / row.length;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
      row.forEach((v, j) => expect(Math.abs(y[i][j] - (v - mean) / Math.sqrt(variance + 1e-5))).toBeLessThan(1e-5));
    });
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
});

test('an editor shows layerNorm\'s and layerNormWithStats\'s documentation and parameters', () => {
  const file = path.join(ROOT, 'test', '__hover__.ts');
  const text = `import {layerNorm, layerNormWithStats} from '../src';\n` +
      `layerNorm(null!, null, null, {});\nlayerNormWithStats(null!, null, null, {});\n`;
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2019, module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10, strict: true, skipLibCheck: true, types: [],
  };
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [file],
    getScriptVersion: () => '1',
    getScriptSnapshot: f => {
      const source = f === file ? text : fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined;
      return source === undefined ? undefined : ts.ScriptSnapshot.fromString(source);
    },
    getCurrentDirectory: () => ROOT,
    getCompilationSettings: () => options,
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: f => f === file || ts.sys.fileExists(f),
    readFile: f => (f === file ? text : ts.sys.readFile(f)),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const service = ts.createLanguageService(host);
  const docs = (parts?: ts.SymbolDisplayPart[]) => ts.displayPartsToString(parts);
  for (const [name, summary] of [['layerNorm', /^Layer normalization: `y = \(x - mean\)/],
                                  ['layerNormWithStats', /also returns the statistics/]] as const) {
    const call = text.indexOf(`\n${name}(`) + 1;
    // Hover on the name: the export's own documentation.
    expect(docs(service.getQuickInfoAtPosition(file, call)?.documentation)).toMatch(/^(Layer normalization|As layerNorm)/);
    // Inside the parentheses: the signature's summary and each parameter's description.
    const help = service.getSignatureHelpItems(file, call + name.length + 1, undefined);
    const item = help!.items[help!.selectedItemIndex];
    expect(docs(item.documentation)).toMatch(summary);
    expect(item.parameters.map(p => [docs(p.displayParts).split(':')[0], docs(p.documentation) !== '']))
        .toEqual([['x', true], ['gamma?', true], ['beta?', true], ['options?', true]]);
    expect(docs(item.parameters[1].documentation)).toMatch(/^Scale shaped as x's sizes at `featureAxes`/);
  }
});
