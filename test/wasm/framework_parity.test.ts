/**
 * The framework fixtures on the wasm backend: our SIMD kernels, their JS
 * fallback, and the composite forced on wasm.
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {setWasmKernelImplementation} from '../../src/backends/wasm/simd_kernels';
import {describeFrameworkParity} from '../shared/framework_parity';

describe('wasm kernels, js', () => {
  beforeAll(() => setWasmKernelImplementation('js'));
  afterAll(() => setWasmKernelImplementation('simd'));
  describeFrameworkParity('wasm js');
});

describe('wasm kernels, simd', () => {
  describeFrameworkParity('wasm simd');
});

describe('composite forced on wasm', () => {
  beforeAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, true));
  afterAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, false));
  describeFrameworkParity('wasm composite');
});
