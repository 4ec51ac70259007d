// `npm run docs`: the API reference in docs/api/. scripts/test_package.js runs it with
// treatWarningsAsErrors, so a warning fails CI.
import {OptionDefaults} from 'typedoc';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  name: 'tfjs-layernorm',
  // Module names come from each entry's @module tag: the import paths.
  entryPoints: ['src/index.ts', 'src/entries/wasm.ts', 'src/entries/webgpu.ts'],
  tsconfig: 'tsconfig.build.json',
  out: 'docs/api',
  readme: 'README.md',
  // LayerNorm extends tf.layers.Layer: its own members only, not TF.js's internals (_refCount, …).
  excludePrivate: true,
  excludeProtected: true,
  excludeInternal: true,
  excludeExternals: true,
  // TF.js's type aliases and a port's parameter alias, named in our signatures; TF.js documents its own.
  intentionallyNotExported: ['Initializer', 'Regularizer', 'Constraint', 'Weight'],
  // Closure Compiler's tag on `static className`, as TF.js's own layers write it.
  modifierTags: [...OptionDefaults.modifierTags, '@nocollapse'],
  sourceLinkTemplate: 'https://github.com/tfjs-layernorm/tfjs-layernorm/blob/{gitRevision}/{path}#L{line}',
  treatWarningsAsErrors: true,
};

export default config;
