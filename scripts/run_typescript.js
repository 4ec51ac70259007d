/**
 * Runs a TypeScript entry point of this repository (the demo, the fixture
 * generator, a bench section) on a fresh clone without a separate build:
 * esbuild bundles it with the src/ it imports into dist/, leaving installed
 * packages external, and Node runs the bundle in a child process.
 */
const {spawnSync} = require('child_process');
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const EXTERNAL = ['@tensorflow/*', 'webgpu', 'playwright-core', 'esbuild', 'onnxruntime-*'];

/** Bundles `entry` (relative to the repository root) to dist/<entry>.js; resolves to that path. */
async function bundleTypeScript(entry) {
  const outfile = path.join(root, 'dist', entry.replace(/\.ts$/, '.js'));
  await esbuild.build({
    entryPoints: [path.join(root, entry)], outfile, bundle: true,
    platform: 'node', target: 'node18', external: EXTERNAL, logLevel: 'warning',
  });
  return outfile;
}

/**
 * Bundles `entry` and runs it with `args`, inheriting stdio; `env` is added
 * to this process's environment. Resolves to the child's exit status (1 when
 * it was killed).
 */
async function runTypeScript(entry, args = [], env = {}) {
  const outfile = await bundleTypeScript(entry);
  const r = spawnSync(process.execPath, [outfile, ...args],
                      {cwd: root, stdio: 'inherit', env: {...process.env, ...env}});
  return r.status == null ? 1 : r.status;
}

/** The whole of a script that only runs `entry` with this process's arguments. */
function runTypeScriptMain(entry) {
  runTypeScript(entry, process.argv.slice(2))
      .then(status => process.exit(status))
      .catch(e => {
        console.error(e);
        process.exit(1);
      });
}

module.exports = {bundleTypeScript, runTypeScript, runTypeScriptMain};
