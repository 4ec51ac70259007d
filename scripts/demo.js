#!/usr/bin/env node
/**
 * `npm run demo [-- OUTPUT_DIR]`: the README's walk-through (train a model
 * with LayerNorm, save it to files, reload it, check its outputs). Runs
 * scripts/demo.ts (bundled with the src/ it imports), so a fresh clone
 * needs only `npm ci`. Exits non-zero when the check fails.
 */
// Said first: loading TF.js and compiling the demo take seconds before it prints anything.
console.log(`tfjs-layernorm demo: trains a small classifier with a LayerNorm layer on the ` +
            `${process.env.DEMO_BACKEND ?? 'cpu'} backend, saves it to files, reloads it and checks ` +
            `that the reloaded model gives the same outputs. Loading TensorFlow.js...`);
require('./run_typescript').runTypeScriptMain('scripts/demo.ts');
