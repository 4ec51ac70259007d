/**
 * The forward output, fused: y = ((x - x0) - m) * invStd * gamma + beta per
 * element, with x0 the row's shift and m its shifted mean (the row's mean is
 * x0 + m; subtracting the two parts separately keeps the precision that the
 * rounded f32 mean would lose on rows far from zero).
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {LayerNormGeometry} from '../../layer_norm_util';
import {addressingGlsl} from './addressing_glsl';
import {ROW_SHIFT_GLSL} from './row_shift_glsl';

export class NormalizeProgram implements GPGPUProgram {
  variableNames = ['x', 'shiftedMean', 'invStd', 'gamma', 'beta'];
  outputShape: number[];
  userCode: string;

  constructor(geometry: LayerNormGeometry) {
    this.outputShape = [geometry.outerSize * geometry.innerSize];
    this.userCode = `
      ${addressingGlsl(geometry)}
      ${ROW_SHIFT_GLSL}

      void main() {
        int index = getOutputCoords();
        ivec2 rowAndColumn = rowAndColumnOf(index);
        int row = rowAndColumn.x;
        int column = rowAndColumn.y;
        float xhat = ((getX(index) - rowShift(row)) - getShiftedMean(row)) *
            getInvStd(row);
        setOutput(xhat * getGamma(column) + getBeta(column));
      }
    `;
  }
}
