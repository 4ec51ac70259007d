/**
 * The framework fixtures on the cpu backend's kernels and on the composite
 * forced on cpu (what tfjs-node's `tensorflow` backend runs).
 */
import * as tf from '@tensorflow/tfjs';

import * as lib from '../../src';
import {describeFrameworkParity} from '../shared/framework_parity';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('cpu kernels', () => {
  describeFrameworkParity('cpu');
});

describe('composite forced on cpu', () => {
  beforeAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, true));
  afterAll(() => tf.env().set(lib.FORCE_COMPOSITE_FLAG, false));
  describeFrameworkParity('composite');
});
