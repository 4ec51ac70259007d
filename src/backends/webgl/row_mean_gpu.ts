/** The mean output: x0 + m per row, from its shift and shifted mean. */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {ElementLayout, rowShiftGlsl} from './element_layout';

export class RowMeanProgram implements GPGPUProgram {
  variableNames = ['x', 'shiftedMean'];
  outputShape: number[];
  userCode: string;

  constructor(layout: ElementLayout) {
    this.outputShape = [layout.geometry.outerSize];
    this.userCode = `
      ${layout.helpersGlsl}
      ${rowShiftGlsl(layout)}

      void main() {
        int row = getOutputCoords();
        setOutput(rowShift(row) + getShiftedMean(row));
      }
    `;
  }
}
