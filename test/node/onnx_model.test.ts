/**
 * @jest-environment ./test/node/onnx_environment.js
 *
 * The bench's one-node ONNX model (bench/onnx_model.ts) is a valid model that
 * computes LayerNorm: ONNX Runtime loads it and its outputs match the float64
 * reference, so the peer figures in `npm run bench` are for the same op.
 */
import * as ort from 'onnxruntime-node';

import {layerNormModel, ONNX_NAMES} from '../../bench/onnx_model';
import {normalData, refForward, sizeOf} from '../conformance/reference';

/** float32 output vs float64 reference: |got - want| <= TOLERANCE * (1 + |want|). */
const TOLERANCE = 2e-6;

const CASES: Array<{shape: number[], axis: number, epsilon: number, shift: number}> = [
  {shape: [4, 16], axis: -1, epsilon: 1e-5, shift: 0},
  {shape: [2, 3, 40], axis: -1, epsilon: 1e-3, shift: 5},
  {shape: [2, 128, 768], axis: -1, epsilon: 1e-5, shift: 0.5},
  // ONNX normalizes every axis from `axis` on: here the last two.
  {shape: [3, 4, 6], axis: 1, epsilon: 1e-5, shift: -2},
  {shape: [3, 4, 6], axis: -2, epsilon: 1e-5, shift: 0},
];

async function runModel(shape: number[], axis: number, epsilon: number,
                        x: Float32Array, gamma: Float32Array, beta: Float32Array) {
  const session = await ort.InferenceSession.create(
      layerNormModel({shape, axis, epsilon}), {intraOpNumThreads: 1, interOpNumThreads: 1});
  try {
    const paramShape = shape.slice(axis < 0 ? axis + shape.length : axis);
    const out = await session.run({
      [ONNX_NAMES.x]: new ort.Tensor('float32', x, shape),
      [ONNX_NAMES.scale]: new ort.Tensor('float32', gamma, paramShape),
      [ONNX_NAMES.bias]: new ort.Tensor('float32', beta, paramShape),
    });
    const y = out[ONNX_NAMES.y];
    return {data: y.data as Float32Array, dims: [...y.dims]};
  } finally {
    await session.release();
  }
}

describe('bench/onnx_model: LayerNormalization (opset 17) in onnxruntime-node', () => {
  for (const {shape, axis, epsilon, shift} of CASES) {
    it(`matches the float64 reference at [${shape}], axis ${axis}, epsilon ${epsilon}`, async () => {
      const rank = shape.length;
      const first = axis < 0 ? axis + rank : axis;
      const normalized = Array.from({length: rank - first}, (_, i) => first + i);
      const channels = sizeOf(shape.slice(first));
      const x = normalData(sizeOf(shape), 11, 2, shift);
      const gamma = normalData(channels, 12, 0.3, 1);
      const beta = normalData(channels, 13, 0.3, 0);
      const {data, dims} = await runModel(shape, axis, epsilon, x, gamma, beta);
      expect(dims).toEqual(shape);
      const want = refForward(x, shape, normalized, gamma, beta, epsilon).y;
      let worst = 0;
      for (let i = 0; i < want.length; i++) {
        worst = Math.max(worst, Math.abs(data[i] - want[i]) / (1 + Math.abs(want[i])));
      }
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it('is not the identity: a wrong epsilon is caught by the same check', async () => {
    const shape = [2, 8];
    const x = normalData(16, 21, 0.01, 0);
    const gamma = new Float32Array(8).fill(1), beta = new Float32Array(8);
    const {data} = await runModel(shape, -1, 1e-1, x, gamma, beta);
    const want = refForward(x, shape, 1, gamma, beta, 1e-5).y;
    const worst = Math.max(...want.map((w, i) => Math.abs(data[i] - w)));
    expect(worst).toBeGreaterThan(0.1);
  });

  it('rejects an axis outside the shape, naming the argument', () => {
    expect(() => layerNormModel({shape: [2, 3], axis: 2})).toThrow(/axis must be an integer in \[-2, 2\); got 2/);
  });
});
