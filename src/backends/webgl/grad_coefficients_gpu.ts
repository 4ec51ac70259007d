/**
 * The per-row coefficients of dx. With xhat = ((x - x0) - m) * invStd, the
 * formula of kernel_names.ts,
 *   dx = invStd * (g - <g>) - xhat * (invStd * <g xhat> + dInvStd * invStd^2 / N)
 *        + dMean / N,
 * regroups as dx = invStd * g - (x - x0) * xhatScale + offset with
 *   xhatScale = invStd * (invStd * <g xhat> + dInvStd * invStd^2 / N)
 *   offset    = dMean / N - invStd * <g> + m * xhatScale,
 * so the elementwise dx program reads 4 per-row values rather than 7.
 * (x - x0) keeps the precision of rows far from zero; m * xhatScale and
 * (x - x0) * xhatScale are of the size of the xhat terms they replace, so
 * regrouping adds only roundings of that size.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {flatOutputIndexGlsl, flatOutputShape} from './flat_output';

export type GradCoefficient = 'xhatScale'|'offset';

export class GradCoefficientProgram implements GPGPUProgram {
  variableNames = ['invStd', 'shiftedMean', 'meanG', 'meanGXhat', 'dMean', 'dInvStd'];
  outputShape: number[];
  userCode: string;

  constructor(rows: number, groupSize: number, coefficient: GradCoefficient) {
    const outputShape = flatOutputShape(rows);
    this.outputShape = outputShape;
    const result = coefficient === 'xhatScale' ? 'xhatScale' :
        `getDMean(row) / ${groupSize}.0 - invStd * getMeanG(row) + ` +
            'getShiftedMean(row) * xhatScale';
    this.userCode = `
      void main() {
        ${flatOutputIndexGlsl(outputShape)}
        int row = outIndex;
        float invStd = getInvStd(row);
        float xhatScale = invStd * (invStd * getMeanGXhat(row) +
            getDInvStd(row) * invStd * invStd / ${groupSize}.0);
        setOutput(${result});
      }
    `;
  }
}
