/**
 * Runs the row and column reductions of the kernels: one program when a
 * row (column) is short enough for one fragment to loop over, otherwise a
 * chunk program followed by as many `CombinePartialsProgram` levels as it
 * takes, so no fragment ever reduces more than a set number of values
 * (MAX_VALUES_PER_FRAGMENT_FLAG).
 */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {ColumnReduceProgram, ColumnTerm, columnTermInputs} from './column_reduce_gpu';
import {CombinePartialsProgram, PartialsLayout} from './combine_partials_gpu';
import {ElementLayout} from './element_layout';
import {flatOutput} from './flat_output';
import {RowReduceProgram, RowTerm, rowTermInputs} from './row_reduce_gpu';
import {partialSummary, Summary} from './summary';

/**
 * TF.js flag: the longest loop of one fragment. With the default 1024 a row
 * of 768 is one program and a row of 65536 becomes 64 chunks of 1024 and
 * one combining level: long enough that the per-fragment setup is
 * amortised, short enough that a long row still spreads over many
 * fragments. Lowering it only splits reductions into more passes; the
 * browser suite sets 3 to run every multi-pass path on small tensors.
 */
export const MAX_VALUES_PER_FRAGMENT_FLAG = 'LAYERNORM_WEBGL_MAX_VALUES_PER_FRAGMENT';
const DEFAULT_MAX_VALUES_PER_FRAGMENT = 1024;

export function registerReductionFlags(): void {
  tf.env().registerFlag(MAX_VALUES_PER_FRAGMENT_FLAG, () => DEFAULT_MAX_VALUES_PER_FRAGMENT);
}

function maxValuesPerFragment(): number {
  const value = tf.env().getNumber(MAX_VALUES_PER_FRAGMENT_FLAG);
  // One value per fragment would never shrink a level of partials.
  if (!Number.isInteger(value) || value < 2) {
    throw new Error(`${MAX_VALUES_PER_FRAGMENT_FLAG} must be an integer >= 2; got ${value}`);
  }
  return value;
}

/** Named flat inputs; each program takes those its variableNames list. */
export type NamedInputs = Record<string, TensorInfo>;

/**
 * The term summarised over each row: a flat tensor of outerSize elements
 * (mean, or invStd with `epsilon`).
 */
export function reduceRows(
    backend: MathBackendWebGL, layout: ElementLayout, term: RowTerm,
    inputs: NamedInputs, summary: Summary, epsilon = 0): TensorInfo {
  const {outerSize, innerSize: rowLength} = layout.geometry;
  const {chunks, chunkLength} = chunking(rowLength);
  const stage = chunks === 1 ? summary : partialSummary(summary);
  const partials = flatOutput(backend.runWebGLProgram(
      new RowReduceProgram(layout, term, chunks, chunkLength, stage),
      pick(inputs, rowTermInputs(term)), 'float32', uniformValues(stage, epsilon)));
  return combine(
      backend, partials,
      {groups: outerSize, partials: chunks, span: chunkLength, groupSize: rowLength},
      summary, epsilon);
}

/** The term summed over each column: a flat tensor of innerSize elements. */
export function reduceColumns(
    backend: MathBackendWebGL, layout: ElementLayout, term: ColumnTerm,
    inputs: NamedInputs): TensorInfo {
  const {outerSize: rows, innerSize} = layout.geometry;
  const {chunks, chunkLength} = chunking(rows);
  const partials = flatOutput(backend.runWebGLProgram(
      new ColumnReduceProgram(layout, term, chunks, chunkLength),
      pick(inputs, columnTermInputs(term)), 'float32'));
  return combine(
      backend, partials,
      {groups: innerSize, partials: chunks, span: chunkLength, groupSize: rows},
      'sum', 0);
}

/** Equal chunks of at most maxValuesPerFragment() covering `length`. */
function chunking(length: number): {chunks: number, chunkLength: number} {
  const chunks = Math.max(1, Math.ceil(length / maxValuesPerFragment()));
  return {chunks, chunkLength: Math.ceil(length / chunks)};
}

/** Reduces partials level by level until one per group is left. */
function combine(
    backend: MathBackendWebGL, partials: TensorInfo, layout: PartialsLayout,
    final: Summary, epsilon: number): TensorInfo {
  const kept = partialSummary(final);
  let current = partials;
  let {partials: count, span} = layout;
  while (count > 1) {
    const {chunks: outCount, chunkLength: fanIn} = chunking(count);
    const output = outCount === 1 ? final : kept;
    const next = flatOutput(backend.runWebGLProgram(
        new CombinePartialsProgram({...layout, partials: count, span}, fanIn, kept, output),
        [current], 'float32', uniformValues(output, epsilon)));
    backend.disposeIntermediateTensorInfo(current);
    current = next;
    count = outCount;
    span *= fanIn;
  }
  return current;
}

function pick(inputs: NamedInputs, names: string[]): TensorInfo[] {
  return names.map(name => {
    const input = inputs[name];
    if (input == null) {
      throw new Error(`layerNorm (webgl): internal error, no input '${name}'`);
    }
    return input;
  });
}

function uniformValues(summary: Summary, epsilon: number): number[][]|undefined {
  return summary === 'invStd' ? [[epsilon]] : undefined;
}
