/**
 * The generic reducer: a per-element term summarised over each segment (a
 * group's columns, or the elements sharing a gamma entry). One program when
 * a segment is short enough for one fragment, otherwise chunks whose
 * partials are combined level by level, so no fragment reduces more than
 * LAYERNORM_WEBGL_MAX_VALUES_PER_FRAGMENT values (the browser suite sets 3
 * to run every multi-pass path).
 */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {GPGPUProgram, MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {GlslLayout} from './layout_glsl';
import {flatOutput, flatOutputIndexGlsl, flatOutputShape} from './textures';

export const MAX_VALUES_PER_FRAGMENT_FLAG = 'LAYERNORM_WEBGL_MAX_VALUES_PER_FRAGMENT';

export function registerReduceFlags(): void {
  tf.env().registerFlag(MAX_VALUES_PER_FRAGMENT_FLAG, () => 1024);
}

/**
 * rootMeanSquare: sqrt(mean of term^2). Partials hold means rather than sums
 * where the result is a mean: a mean stays within its terms' range, so it
 * cannot overflow a half-float texture.
 */
export type Reduction = 'sum'|'mean'|'rootMeanSquare';

export interface ReduceSpec {
  /** Named inputs; the program reads them as get<Name>. */
  inputs: Record<string, TensorInfo>;
  segments: number;
  length: number;
  /** Position functions of a segment's first element and of an item in it. */
  segmentPosition: 'groupPosition'|'paramPosition';
  itemPosition: 'columnPosition'|'reducePosition';
  /** GLSL run once per `segment`, before its loop. */
  setup: string;
  /** GLSL of the term at `position`. */
  term: string;
  reduction: Reduction;
}

/** The reduction of each segment, a flat tensor of `segments` values. */
export function reduce(backend: MathBackendWebGL, layout: GlslLayout, spec: ReduceSpec): TensorInfo {
  let {chunks, chunkLength: span} = chunking(spec.length);
  let current = flatOutput(backend.runWebGLProgram(
      new ReduceProgram(layout, spec, chunks, span), Object.values(spec.inputs), 'float32'));
  while (chunks > 1) {
    const {chunks: next, chunkLength: fanIn} = chunking(chunks);
    const combined = flatOutput(backend.runWebGLProgram(
        new CombineProgram(spec, chunks, span, fanIn), [current], 'float32'));
    backend.disposeIntermediateTensorInfo(current);
    [current, chunks, span] = [combined, next, span * fanIn];
  }
  return current;
}

/** Equal chunks of at most the flag's values covering `length`. */
function chunking(length: number): {chunks: number, chunkLength: number} {
  const max = tf.env().getNumber(MAX_VALUES_PER_FRAGMENT_FLAG);
  if (!Number.isInteger(max) || max < 2) {
    throw new Error(`${MAX_VALUES_PER_FRAGMENT_FLAG} must be an integer >= 2; got ${max}`);
  }
  const chunks = Math.max(1, Math.ceil(length / max));
  return {chunks, chunkLength: Math.ceil(length / chunks)};
}

function finish(reduction: Reduction): string {
  return {sum: 'total', mean: 'total / count', rootMeanSquare: 'sqrt(total / count)'}[reduction];
}

/** Output `segment * chunks + chunk`: the reduction of that chunk of items. */
class ReduceProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;

  constructor(layout: GlslLayout, spec: ReduceSpec, chunks: number, chunkLength: number) {
    const {length} = spec;
    this.variableNames = Object.keys(spec.inputs);
    const shape = flatOutputShape(spec.segments * chunks);
    this.outputShape = shape;
    this.userCode = `
      ${layout.helpers(this.variableNames.includes('x'))}

      void main() {
        ${flatOutputIndexGlsl(shape)}
        int segment = outIndex / ${chunks};
        int first = (outIndex - segment * ${chunks}) * ${chunkLength};
        ${spec.setup}
        float total = 0.0;
        for (int k = 0; k < ${chunkLength}; k++) {
          int item = first + k;
          ${chunks * chunkLength === length ? '' : `if (item >= ${length}) break;`}
          ivec3 position = ${layout.position(spec.segmentPosition, spec.itemPosition)};
          float term = ${spec.term};
          total += ${spec.reduction === 'rootMeanSquare' ? 'term * term' : 'term'};
        }
        float count = min(${chunkLength}.0, float(${length} - first));
        setOutput(${finish(spec.reduction)});
      }
    `;
  }
}

/** One level of combining: `fanIn` partials of `span` items each at a time. */
class CombineProgram implements GPGPUProgram {
  variableNames = ['partials'];
  outputShape: number[];
  userCode: string;

  constructor(spec: ReduceSpec, partials: number, span: number, fanIn: number) {
    const outPartials = Math.ceil(partials / fanIn);
    const shape = flatOutputShape(spec.segments * outPartials);
    this.outputShape = shape;
    const term = {sum: 'value', mean: 'weight * value', rootMeanSquare: 'weight * value * value'};
    this.userCode = `
      void main() {
        ${flatOutputIndexGlsl(shape)}
        int segment = outIndex / ${outPartials};
        int first = (outIndex - segment * ${outPartials}) * ${fanIn};
        float total = 0.0;
        float count = 0.0;
        for (int k = 0; k < ${fanIn}; k++) {
          int partial = first + k;
          ${outPartials * fanIn === partials ? '' : `if (partial >= ${partials}) break;`}
          float value = getPartials(segment * ${partials} + partial);
          float weight = min(${span}.0, ${spec.length}.0 - float(partial) * ${span}.0);
          total += ${term[spec.reduction]};
          count += weight;
        }
        setOutput(${finish(spec.reduction)});
      }
    `;
  }
}
