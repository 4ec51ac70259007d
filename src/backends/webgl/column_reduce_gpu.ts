/**
 * Sums a per-element term over the rows of each column (dBeta and dGamma):
 * output element `column * chunks + chunk` (flat_output.ts) is the sum over
 * rows [chunk * chunkLength, (chunk + 1) * chunkLength) of that column. Many rows
 * are cut into chunks whose partial sums `CombinePartialsProgram` adds up.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {ElementLayout, elementIndexGlsl, readElement, rowShiftGlsl} from './element_layout';
import {flatOutputIndexGlsl, flatOutputShape} from './flat_output';

/**
 *   gradient           dy                                          (dBeta)
 *   gradientTimesXhat  dy * xhat, xhat = ((x - x0) - m) * invStd   (dGamma)
 * with x0, m and invStd those of the element's row (row_reduce_gpu.ts).
 */
export type ColumnTerm = 'gradient'|'gradientTimesXhat';

export function columnTermInputs(term: ColumnTerm): string[] {
  return term === 'gradient' ? ['dy'] : ['dy', 'x', 'shiftedMean', 'invStd'];
}

function termValue(term: ColumnTerm, layout: ElementLayout): string {
  const dy = readElement(layout, 'getDy');
  if (term === 'gradient') {
    return dy;
  }
  const x = readElement(layout, 'getX');
  return `${dy} * (((${x} - rowShift(row)) - getShiftedMean(row)) * getInvStd(row))`;
}

export class ColumnReduceProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;

  /** @param chunks Chunks per column; `chunks * chunkLength` covers all rows. */
  constructor(
      layout: ElementLayout, term: ColumnTerm, chunks: number,
      chunkLength: number) {
    const {outerSize: rows, innerSize} = layout.geometry;
    this.variableNames = columnTermInputs(term);
    const outputShape = flatOutputShape(innerSize * chunks);
    this.outputShape = outputShape;
    const coversExactly = chunks * chunkLength === rows;
    this.userCode = `
      ${layout.helpersGlsl}
      ${this.variableNames.includes('x') ? rowShiftGlsl(layout) : ''}

      void main() {
        ${flatOutputIndexGlsl(outputShape)}
        int column = outIndex / ${chunks};
        int firstRow = (outIndex - column * ${chunks}) * ${chunkLength};
        ${layout.isTrailing ? '' : 'int offset = columnOffset(column);'}
        float total = 0.0;
        for (int k = 0; k < ${chunkLength}; k++) {
          int row = firstRow + k;
          ${coversExactly ? '' : `if (row >= ${rows}) break;`}
          ${elementIndexGlsl(layout, 'rowStart(row)', 'offset')}
          total += ${termValue(term, layout)};
        }
        setOutput(total);
      }
    `;
  }
}
