/**
 * The code blocks of README.md that CI runs: every ```js, ```ts and ```html
 * block must be marked `runnable` (```js runnable) so that none can rot
 * unchecked; scripts/test_package.js runs them against the packed package.
 */
const fs = require('fs');
const path = require('path');

const CHECKED_LANGUAGES = ['js', 'ts', 'html'];

/** [{lang, line, code}] of the runnable blocks; throws on an unmarked js/ts/html block. */
function readmeSnippets(file = path.resolve(__dirname, '../README.md')) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const snippets = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${file}:${i + 1}: unterminated code block`);
    const [, lang, info] = open;
    if (CHECKED_LANGUAGES.includes(lang)) {
      if (info.trim() !== 'runnable') {
        throw new Error(`${file}:${i + 1}: a \`\`\`${lang} block must be marked runnable (and run as pasted)`);
      }
      snippets.push({lang, line: i + 1, code: lines.slice(i + 1, end).join('\n') + '\n'});
    }
    i = end;
  }
  return snippets;
}

module.exports = {readmeSnippets};
