/**
 * What the counted test steps (scripts/test_package.js, scripts/python_install.js)
 * share: named checks with pass/fail counts, commands that throw with their
 * output, and the fenced code blocks of a Markdown file.
 */
const {spawnSync} = require('child_process');
const fs = require('fs');

/**
 * {counts, check, finish}: `await check(name, fn)` runs fn, prints PASS/FAIL
 * `label: name` and counts it; `finish(started)` ends the step.
 */
function checkCounter(label) {
  const counts = {passed: 0, failed: 0};
  async function check(name, fn) {
    const started = Date.now();
    try {
      await fn();
      counts.passed++;
      console.log(`PASS ${label}: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (e) {
      counts.failed++;
      console.log(`FAIL ${label}: ${name}\n     ${String(e.stack || e).split('\n').join('\n     ')}`);
    }
  }
  /** Prints the totals, writes them to --json=FILE when given, and exits with their status. */
  function finish(started) {
    console.log(`${label}: ${counts.passed} passed, ${counts.failed} failed ` +
                `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
    const arg = process.argv.find(a => a.startsWith('--json='));
    if (arg) fs.writeFileSync(arg.slice('--json='.length), JSON.stringify(counts));
    process.exit(counts.failed === 0 ? 0 : 1);
  }
  return {counts, check, finish};
}

/** Runs a command; throws with its output when it fails; returns its stdout. */
function sh(cwd, command, args, env = {}) {
  const r = spawnSync(command, args, {cwd, encoding: 'utf8', env: {...process.env, ...env}});
  if (r.status !== 0) {
    throw new Error(`${[command, ...args].join(' ')} exited ${r.status}\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

/** [{lang, info, line, code}] of a Markdown file's fenced blocks (line: the opening fence's, 1-based). */
function fencedBlocks(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${file}:${i + 1}: unterminated code block`);
    blocks.push({lang: open[1], info: open[2].trim(), line: i + 1,
                 code: lines.slice(i + 1, end).join('\n') + '\n'});
    i = end;
  }
  return blocks;
}

module.exports = {checkCounter, fencedBlocks, sh};
