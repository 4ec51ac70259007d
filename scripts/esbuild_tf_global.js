/**
 * esbuild plugin for browser bundles: every `@tensorflow/*` import becomes
 * the page's global `tf`, which TF.js's own UMD bundles fill (tf.min.js, and
 * backends such as tf-backend-webgpu.min.js that add to it).
 */
const tfGlobalPlugin = {
  name: 'tf-global',
  setup(build) {
    build.onResolve({filter: /^@tensorflow\//}, args => ({path: args.path, namespace: 'tf-global'}));
    build.onLoad({filter: /.*/, namespace: 'tf-global'},
                 () => ({contents: 'module.exports = globalThis.tf;', loader: 'js'}));
  },
};

module.exports = {tfGlobalPlugin};
