/**
 * Runs a TypeScript entry point of this repository (the demo, the fixture
 * generator, a bench section) on a fresh clone without a build: Node loads
 * it through tsx, which compiles each file as it is imported.
 */
const {spawnSync} = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');

/**
 * Runs `entry` (relative to the repository root) with `args`, inheriting
 * stdio; `env` is added to this process's environment. Resolves to the
 * child's exit status (1 when it was killed).
 */
async function runTypeScript(entry, args = [], env = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, entry), ...args],
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

module.exports = {runTypeScript, runTypeScriptMain};
