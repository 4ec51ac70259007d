/** The mean output: x0 + m per row, from its shift and shifted mean. */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {LayerNormGeometry} from '../../layer_norm_util';
import {addressingGlsl} from './addressing_glsl';
import {ROW_SHIFT_GLSL} from './row_shift_glsl';

export class RowMeanProgram implements GPGPUProgram {
  variableNames = ['x', 'shiftedMean'];
  outputShape: number[];
  userCode: string;

  constructor(geometry: LayerNormGeometry) {
    this.outputShape = [geometry.outerSize];
    this.userCode = `
      ${addressingGlsl(geometry)}
      ${ROW_SHIFT_GLSL}

      void main() {
        int row = getOutputCoords();
        setOutput(rowShift(row) + getShiftedMean(row));
      }
    `;
  }
}
