/**
 * Reduces a per-element term over the columns of each row (the normalized
 * group): output element `row * chunks + chunk` summarises the term over
 * columns [chunk * chunkLength, (chunk + 1) * chunkLength) of that row.
 * With one chunk per row this is the whole statistic in a single program;
 * long rows are cut into chunks whose partials `CombinePartialsProgram`
 * then reduces, so no fragment loops over a whole long row.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {LayerNormGeometry} from '../../layer_norm_util';
import {addressingGlsl} from './addressing_glsl';
import {ROW_SHIFT_GLSL} from './row_shift_glsl';
import {accumulatesSquares, Summary, summaryGlsl, summaryUniforms} from './summary';

/**
 * The terms reduced over a row, with x0 its shift (row_shift_glsl.ts),
 * m the row's shifted mean, invStd its saved 1 / std and g = dy * gamma:
 *   shiftedValue             x - x0          (mean: m)
 *   deviation                (x - x0) - m    (mean square: the variance)
 *   scaledGradient           g
 *   scaledGradientTimesXhat  g * xhat, xhat = ((x - x0) - m) * invStd
 */
export type RowTerm =
    'shiftedValue'|'deviation'|'scaledGradient'|'scaledGradientTimesXhat';

interface TermSource {
  /** Inputs read, all flat 1-D: x-shaped, row-shaped or column-shaped. */
  inputs: string[];
  /** GLSL run once per row, before the loop over its columns. */
  rowSetup: string;
  /** GLSL expression of the term at flat `index`, `column` of the row. */
  value: string;
}

const SHIFT_SETUP = 'float shift = rowShift(row);';
const CENTRE_SETUP = `${SHIFT_SETUP} float centre = getShiftedMean(row);`;

const ROW_TERMS: Record<RowTerm, TermSource> = {
  shiftedValue: {inputs: ['x'], rowSetup: SHIFT_SETUP, value: 'getX(index) - shift'},
  deviation: {
    inputs: ['x', 'shiftedMean'],
    rowSetup: CENTRE_SETUP,
    value: '(getX(index) - shift) - centre',
  },
  scaledGradient: {
    inputs: ['dy', 'gamma'],
    rowSetup: '',
    value: 'getDy(index) * getGamma(column)',
  },
  scaledGradientTimesXhat: {
    inputs: ['dy', 'gamma', 'x', 'shiftedMean', 'invStd'],
    rowSetup: `${CENTRE_SETUP} float rowInvStd = getInvStd(row);`,
    value: 'getDy(index) * getGamma(column) * (((getX(index) - shift) - centre) * rowInvStd)',
  },
};

/** Input names of a term, in the order its program takes them. */
export function rowTermInputs(term: RowTerm): string[] {
  return ROW_TERMS[term].inputs;
}

export class RowReduceProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms: GPGPUProgram['customUniforms'];

  /**
   * @param chunks Chunks per row; `chunks * chunkLength` covers the row.
   * @param summary What each output element holds (summary.ts).
   */
  constructor(
      geometry: LayerNormGeometry, term: RowTerm, chunks: number,
      chunkLength: number, summary: Summary) {
    const rowLength = geometry.innerSize;
    const source = ROW_TERMS[term];
    this.variableNames = source.inputs;
    this.outputShape = [geometry.outerSize * chunks];
    this.customUniforms = summaryUniforms(summary);
    const coversExactly = chunks * chunkLength === rowLength;
    const accumulate = accumulatesSquares(summary) ? 'term * term' : 'term';
    this.userCode = `
      ${addressingGlsl(geometry)}
      ${source.inputs.includes('x') ? ROW_SHIFT_GLSL : ''}

      void main() {
        int outIndex = getOutputCoords();
        int row = outIndex / ${chunks};
        int firstColumn = (outIndex - row * ${chunks}) * ${chunkLength};
        int start = rowStart(row);
        ${source.rowSetup}
        float total = 0.0;
        for (int k = 0; k < ${chunkLength}; k++) {
          int column = firstColumn + k;
          ${coversExactly ? '' : `if (column >= ${rowLength}) break;`}
          int index = start + columnOffset(column);
          float term = ${source.value};
          total += ${accumulate};
        }
        float count = min(${chunkLength}.0, float(${rowLength} - firstColumn));
        setOutput(${summaryGlsl(summary, 'total', 'count')});
      }
    `;
  }
}
