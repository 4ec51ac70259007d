/**
 * Sums a per-element term over the rows of each column (dBeta and dGamma):
 * output element `column * chunks + chunk` is the sum over rows
 * [chunk * chunkLength, (chunk + 1) * chunkLength) of that column. Many rows
 * are cut into chunks whose partial sums `CombinePartialsProgram` adds up.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {LayerNormGeometry} from '../../layer_norm_util';
import {addressingGlsl} from './addressing_glsl';
import {ROW_SHIFT_GLSL} from './row_shift_glsl';

/**
 *   gradient          dy                                     (dBeta)
 *   gradientTimesXhat dy * xhat, xhat = ((x - x0) - m) * invStd  (dGamma)
 * with x0, m and invStd those of the element's row (row_reduce_gpu.ts).
 */
export type ColumnTerm = 'gradient'|'gradientTimesXhat';

const COLUMN_TERMS: Record<ColumnTerm, {inputs: string[], value: string}> = {
  gradient: {inputs: ['dy'], value: 'getDy(index)'},
  gradientTimesXhat: {
    inputs: ['dy', 'x', 'shiftedMean', 'invStd'],
    value: 'getDy(index) * (((getX(index) - rowShift(row)) - ' +
        'getShiftedMean(row)) * getInvStd(row))',
  },
};

export function columnTermInputs(term: ColumnTerm): string[] {
  return COLUMN_TERMS[term].inputs;
}

export class ColumnReduceProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;

  /** @param chunks Chunks per column; `chunks * chunkLength` covers all rows. */
  constructor(
      geometry: LayerNormGeometry, term: ColumnTerm, chunks: number,
      chunkLength: number) {
    const rows = geometry.outerSize;
    const source = COLUMN_TERMS[term];
    this.variableNames = source.inputs;
    this.outputShape = [geometry.innerSize * chunks];
    const coversExactly = chunks * chunkLength === rows;
    this.userCode = `
      ${addressingGlsl(geometry)}
      ${source.inputs.includes('x') ? ROW_SHIFT_GLSL : ''}

      void main() {
        int outIndex = getOutputCoords();
        int column = outIndex / ${chunks};
        int firstRow = (outIndex - column * ${chunks}) * ${chunkLength};
        int offset = columnOffset(column);
        float total = 0.0;
        for (int k = 0; k < ${chunkLength}; k++) {
          int row = firstRow + k;
          ${coversExactly ? '' : `if (row >= ${rows}) break;`}
          int index = rowStart(row) + offset;
          total += ${source.value};
        }
        setOutput(total);
      }
    `;
  }
}
