/** The mean output: x0 + m per row, from its shift and shifted mean. */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {ElementLayout, rowShiftGlsl} from './element_layout';
import {flatOutputIndexGlsl, flatOutputShape} from './flat_output';

export class RowMeanProgram implements GPGPUProgram {
  variableNames = ['x', 'shiftedMean'];
  outputShape: number[];
  userCode: string;

  constructor(layout: ElementLayout) {
    const outputShape = flatOutputShape(layout.geometry.outerSize);
    this.outputShape = outputShape;
    this.userCode = `
      ${layout.helpersGlsl}
      ${rowShiftGlsl(layout)}

      void main() {
        ${flatOutputIndexGlsl(outputShape)}
        setOutput(rowShift(outIndex) + getShiftedMean(outIndex));
      }
    `;
  }
}
