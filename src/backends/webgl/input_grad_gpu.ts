/**
 * dx, fused (the formula of kernel_names.ts), from the per-row means of
 * g = dy * gamma and of g * xhat:
 *   dx = invStd * (g - <g>) - xhat * (invStd * <g xhat> + dInvStd * invStd^2 / N)
 *        + dMean / N
 * with xhat = ((x - x0) - m) * invStd, m the row's recomputed shifted mean.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {LayerNormGeometry} from '../../layer_norm_util';
import {addressingGlsl} from './addressing_glsl';
import {ROW_SHIFT_GLSL} from './row_shift_glsl';

export class InputGradProgram implements GPGPUProgram {
  variableNames = [
    'dy', 'gamma', 'x', 'shiftedMean', 'invStd', 'meanG', 'meanGXhat', 'dMean',
    'dInvStd'
  ];
  outputShape: number[];
  userCode: string;

  constructor(geometry: LayerNormGeometry) {
    const groupSize = geometry.innerSize;
    this.outputShape = [geometry.outerSize * groupSize];
    this.userCode = `
      ${addressingGlsl(geometry)}
      ${ROW_SHIFT_GLSL}

      void main() {
        int index = getOutputCoords();
        ivec2 rowAndColumn = rowAndColumnOf(index);
        int row = rowAndColumn.x;
        int column = rowAndColumn.y;
        float rowInvStd = getInvStd(row);
        float xhat = ((getX(index) - rowShift(row)) - getShiftedMean(row)) * rowInvStd;
        float g = getDy(index) * getGamma(column);
        float xhatCoefficient = rowInvStd * getMeanGXhat(row) +
            getDInvStd(row) * rowInvStd * rowInvStd / ${groupSize}.0;
        setOutput(rowInvStd * (g - getMeanG(row)) - xhat * xhatCoefficient +
                  getDMean(row) / ${groupSize}.0);
      }
    `;
  }
}
