#!/usr/bin/env node
/**
 * `npm run demo [-- OUTPUT_DIR]`: the README's walk-through (train a model
 * with LayerNorm, save it to files, reload it, check its outputs). Runs
 * scripts/demo.ts (bundled with the src/ it imports), so a fresh clone
 * needs only `npm ci`. Exits non-zero when the check fails.
 */
require('./run_typescript').runTypeScriptMain('scripts/demo.ts');
