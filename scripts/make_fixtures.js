#!/usr/bin/env node
/**
 * `npm run fixtures`: regenerates models/ (the saved-model fixtures that
 * test/node/layer_fixtures.test.ts checks). Runs scripts/make_fixtures.ts
 * (bundled with the src/ it imports). Deterministic: same seeds,
 * same files, unless the cpu kernels' numbers change.
 */
require('./run_typescript').runTypeScriptMain('scripts/make_fixtures.ts');
