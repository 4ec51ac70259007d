/**
 * The framework fixtures on tfjs-node's `tensorflow` backend: each route of
 * our kernels (TensorFlow float32 ops) and the composite forced there.
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {FRAMEWORK_FLOAT32_TOLERANCES} from '../conformance/frameworks';
import {describeFrameworkParity} from '../shared/framework_parity';

describe.each(['checked', 'nativeOps', 'fusedBatchNorm'] as lib.TensorflowKernelRoute[])('route %s', route => {
  beforeAll(() => lib.setTensorflowKernelRoute(route));
  afterAll(() => lib.setTensorflowKernelRoute('checked'));
  describeFrameworkParity(`tensorflow ${route}`, FRAMEWORK_FLOAT32_TOLERANCES);
});

describe('composite forced on tensorflow', () => {
  beforeAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, true));
  afterAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, false));
  describeFrameworkParity('tensorflow composite', FRAMEWORK_FLOAT32_TOLERANCES);
});
