/**
 * Two copies of tfjs-layernorm in one process, as its CommonJS and ES module
 * builds are when a program both `require`s and `import`s it: they must
 * share the useFusedLayerNormalization() state and `instanceof LayerNorm`.
 * Plain JavaScript with no imports, so that the package test can copy it
 * next to the installed package; throws on the first failure.
 */
export async function checkDualBuilds(tf, cjs, esm) {
  const fail = message => {
    throw new Error(`CommonJS and ES module builds in one process: ${message}`);
  };
  if (cjs.LayerNorm === esm.LayerNorm) {
    fail('both loaded one copy; the check needs two');
  }
  await tf.setBackend('cpu');

  for (const [made, other, what] of [[new esm.LayerNorm({}), cjs.LayerNorm, 'ES module layer, CommonJS class'],
                                     [cjs.layerNormLayer({}), esm.LayerNorm, 'CommonJS layer, ES module class']]) {
    if (!(made instanceof other)) fail(`instanceof LayerNorm is false (${what})`);
  }
  for (const other of [tf.layers.layerNormalization({}), {}, null]) {
    if (other instanceof cjs.LayerNorm || other instanceof esm.LayerNorm) {
      fail(`instanceof LayerNorm holds for ${other?.constructor?.name ?? other}`);
    }
  }

  const proto = Object.getPrototypeOf(tf.layers.layerNormalization({}));
  const builtinCall = proto.call;
  for (const [first, second] of [[cjs, esm], [esm, cjs]]) {
    const undoFirst = first.useFusedLayerNormalization();
    const undoSecond = second.useFusedLayerNormalization();
    undoFirst();
    if (proto.call === builtinCall) fail('one undo() of two opt-ins turned the built-in layer back');
    undoSecond();
    if (proto.call !== builtinCall) fail('the built-in layer stays patched after both undo()s');
  }

  // A graph model loaded while both were on runs after both undo()s, and
  // fused again under the other build's opt-in.
  const names = ['scale', 'offset', 'mean', 'variance'];
  const params = [[1, 1], [0, 0], [], []];
  const undoCjs = cjs.useFusedLayerNormalization();
  const undoEsm = esm.useFusedLayerNormalization();
  const model = tf.loadGraphModelSync({
    format: 'graph-model',
    modelTopology: {node: [
      {name: 'x', op: 'Placeholder', attr: {dtype: {type: 'DT_FLOAT'}, shape: {shape: {dim: [{size: '2'}, {size: '2'}]}}}},
      ...names.map((name, i) => ({name, op: 'Const', attr: {dtype: {type: 'DT_FLOAT'},
        value: {tensor: {dtype: 'DT_FLOAT', tensorShape: {dim: [{size: String(params[i].length)}]}}}}})),
      {name: 'bn', op: 'FusedBatchNormV3', input: ['x', ...names],
       attr: {epsilon: {f: 0.001}, is_training: {b: true}, data_format: {s: 'TkhXQw=='}}},
    ], versions: {producer: 1}},
    weightSpecs: names.map((name, i) => ({name, shape: [params[i].length], dtype: 'float32'})),
    weightData: new Float32Array(params.flat()).buffer,
  });
  const x = tf.tensor2d([[1, 2], [3, 6]]);
  const run = () => tf.tidy(() => Array.from(model.predict(x).dataSync()));
  undoEsm();
  undoCjs();
  try {
    run();
  } catch (e) {
    fail(`a graph model loaded while on throws after undo(): ${e.message}`);
  }
  const undoAgain = esm.useFusedLayerNormalization();
  const fused = run();
  undoAgain();
  // Each column of x is mean ± sd (sd 1 and 2): y = ±sd / sqrt(sd² + 0.001).
  const expected = [-1, -2, 1, 2].map(d => d / Math.sqrt(d * d + 0.001));
  if (fused.some((y, i) => !(Math.abs(y - expected[i]) < 1e-5))) {
    fail(`the graph model under a new opt-in gave ${fused}, expected ${expected}`);
  }
  model.dispose();
  x.dispose();
}
