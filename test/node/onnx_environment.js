/**
 * Jest's node environment with the host's typed-array constructors:
 * onnxruntime-node checks `data instanceof Float32Array` against the host
 * realm, which fails for arrays made inside jest's per-file context.
 */
const {TestEnvironment} = require('jest-environment-node');

const TYPED_ARRAYS = [
  Float32Array, Float64Array, Int8Array, Uint8Array, Uint8ClampedArray, Int16Array,
  Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array, ArrayBuffer,
];

class OnnxRuntimeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const type of TYPED_ARRAYS) this.global[type.name] = type;
  }
}

module.exports = OnnxRuntimeEnvironment;
