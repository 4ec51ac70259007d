/**
 * Checks of direct `runKernel` calls (the op already passes valid ones): a
 * kernel must never read past a buffer because a caller passed a short gamma.
 */
import type {TensorInfo} from '@tensorflow/tfjs';

import {LayerNormAttrs, LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel, LayerNormInputs, LayerNormKernel} from '../../kernel_names';
import {checkEpsilon, paramShape, statsShape} from '../../layer_norm_util';
import {GroupLayout, groupLayout} from '../../layout';

const DTYPES = ['float32', 'int32'];

/** Checks the forward kernel's inputs; returns the layout and feature axes. */
export function checkForwardKernel(
    backendName: string, inputs: LayerNormInputs,
    attrs: LayerNormAttrs): {layout: GroupLayout, featureAxes: number[]} {
  const where = `${LayerNormKernel} (${backendName})`;
  const x = checkTensor(where, 'x', inputs.x);
  const {axis, featureAxes} = checkAxes(where, attrs, x.shape.length);
  checkEpsilon(attrs.epsilon, where, 'attr epsilon');
  const expected = paramShape(x.shape, featureAxes);
  checkShape(where, 'gamma', checkTensor(where, 'gamma', inputs.gamma), expected);
  checkShape(where, 'beta', checkTensor(where, 'beta', inputs.beta), expected);
  return {layout: groupLayout(x.shape, axis, featureAxes), featureAxes};
}

/** Checks the backward kernel's inputs; returns the layout. */
export function checkBackwardKernel(
    backendName: string, inputs: LayerNormGradInputs,
    attrs: LayerNormGradAttrs): GroupLayout {
  const where = `${LayerNormGradKernel} (${backendName})`;
  const x = checkTensor(where, 'x', inputs.x);
  const {axis, featureAxes} = checkAxes(where, attrs, x.shape.length);
  checkShape(where, 'dy', checkTensor(where, 'dy', inputs.dy), x.shape);
  checkShape(where, 'gamma', checkTensor(where, 'gamma', inputs.gamma),
             paramShape(x.shape, featureAxes));
  const stats = statsShape(x.shape, axis);
  for (const name of ['invStd', 'dMean', 'dInvStd'] as const) {
    checkShape(where, name, checkTensor(where, name, inputs[name]), stats);
  }
  return groupLayout(x.shape, axis, featureAxes);
}

function checkTensor(where: string, name: string, t: TensorInfo|undefined): TensorInfo {
  if (t == null || !Array.isArray(t.shape)) {
    throw new Error(`${where}: input ${name} is missing`);
  }
  if (!DTYPES.includes(t.dtype)) {
    throw new Error(`${where}: input ${name} must be float32 or int32; got ${t.dtype}`);
  }
  return t;
}

function checkShape(where: string, name: string, t: TensorInfo, expected: readonly number[]) {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`${where}: input ${name} must have shape [${expected}]; got [${t.shape}]`);
  }
}

function checkAxes(where: string, attrs: {axis: number[], featureAxes?: number[]}, rank: number) {
  const axis = checkAxisList(where, 'axis', attrs.axis, rank);
  const featureAxes = attrs.featureAxes == null ?
      axis : checkAxisList(where, 'featureAxes', attrs.featureAxes, rank, true);
  return {axis, featureAxes};
}

function checkAxisList(
    where: string, name: string, value: unknown, rank: number, mayBeEmpty = false): number[] {
  const ok = Array.isArray(value) && (mayBeEmpty || value.length > 0) &&
      value.every((a, i) => Number.isInteger(a) && a >= 0 && a < rank && (i === 0 || a > value[i - 1]));
  if (!ok) {
    throw new Error(`${where}: attr ${name} must be an ascending array of distinct ` +
                    `integers in [0, ${rank - 1}]; got ${describe(value)}`);
  }
  return value as number[];
}

function describe(value: unknown): string {
  return Array.isArray(value) ? `[${value.map(v => String(v)).join(', ')}]` : String(value);
}
