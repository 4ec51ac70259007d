/**
 * The code blocks of README.md that CI runs: every ```js, ```ts and ```html
 * block must be marked `runnable` (```js runnable) so that none can rot
 * unchecked; scripts/test_package.js runs them against the packed package.
 */
const path = require('path');

const {fencedBlocks} = require('./step_checks');

const CHECKED_LANGUAGES = ['js', 'ts', 'html'];

/** [{lang, line, code}] of the runnable blocks; throws on an unmarked js/ts/html block. */
function readmeSnippets(file = path.resolve(__dirname, '../README.md')) {
  return fencedBlocks(file).filter(({lang, info, line}) => {
    if (!CHECKED_LANGUAGES.includes(lang)) return false;
    if (info !== 'runnable') {
      throw new Error(`${file}:${line}: a \`\`\`${lang} block must be marked runnable (and run as pasted)`);
    }
    return true;
  }).map(({lang, line, code}) => ({lang, line, code}));
}

module.exports = {readmeSnippets};
