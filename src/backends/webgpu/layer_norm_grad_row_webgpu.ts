/**
 * Backward, per row: one workgroup per row reduces the two group sums the
 * dx formula needs (kernel_names.ts), then folds them with the row's invStd,
 * dMean and dInvStd into per-row coefficients, so that dx is element-wise:
 *
 *   xhat = ((x - shift) - shiftedMean) * invStd
 *   dx   = invStd * dy * gamma - xhat * xhatCoef + offset
 *   xhatCoef = (invStd * sum(g * xhat) + dInvStd * invStd^2) / N
 *   offset   = (dMean - invStd * sum(g)) / N,        g = dy * gamma
 *
 * The mean is recomputed from x with the forward's shift rather than read
 * from the saved f32 mean: that one is off by up to |mean| * 2^-24, which on
 * a row of mean 1e4 and spread 1 would move every xhat by ~6e-4.
 *
 * Output: one vec4 per row (see GradRowCoefficient).
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {PER_ROW_VEC4_FLOATS, RowLayout, workgroupSumSnippet} from './row_layout';

/** Lanes of the per-row vec4 written by LayerNormGradRowProgram. */
export const GradRowCoefficient = {
  SHIFT: 0,
  SHIFTED_MEAN: 1,
  XHAT_COEF: 2,
  OFFSET: 3,
} as const;

export class LayerNormGradRowProgram implements WebGPUProgram {
  variableNames = ['x', 'dy', 'gamma', 'invStd', 'dMean', 'dInvStd'];
  variableComponents: number[];
  outputShape: number[];
  outputComponent = 4;
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms: string;
  private readonly layout: RowLayout;

  /** `workgroupSize`: invocations per row, a power of two (row_workgroup.ts). */
  constructor(layout: RowLayout, workgroupSize: number) {
    this.layout = layout;
    const c = layout.components;
    this.variableComponents = [c, c, c, 1, 1, 1];
    this.outputShape = [layout.outerSize * PER_ROW_VEC4_FLOATS];
    this.workgroupSize = [workgroupSize, 1, 1];
    this.dispatch = [layout.outerSize, 1, 1];
    this.uniforms = layout.uniformDeclaration;
    this.shaderKey = `layerNormGradRow_${layout.shaderKey}`;
  }

  getUserCode(): string {
    const {layout} = this;
    const unit = layout.unitType;
    const workgroupSize = this.workgroupSize[0];
    const loadAt = (buffer: string) =>
        layout.load(buffer, 'rowStart(row) + columnOffset(column)');
    return `
      ${layout.helpers()}
      ${layout.rowShiftSnippet()}
      ${workgroupSumSnippet('workgroupSum', 'f32', workgroupSize)}
      ${workgroupSumSnippet('workgroupSum2', 'vec2<f32>', workgroupSize)}

      fn main(index : i32) {
        let row = index / ${workgroupSize};
        // Extra workgroups of a folded dispatch still reach every barrier.
        let isRow = row < uniforms.outerSize;
        var shift = 0.0;
        var invStdOfRow = 0.0;
        if (isRow) {
          shift = rowShift(row);
          invStdOfRow = invStd[row];
        }
        let rowLength = f32(uniforms.rowLength);

        var sum = ${unit}(0.0);
        for (var column = i32(localIndex); isRow && column < uniforms.rowUnits;
             column = column + ${workgroupSize}) {
          sum = sum + (${loadAt('x')} - shift);
        }
        let shiftedMean = workgroupSum(${layout.horizontalSum('sum')}) / rowLength;

        var sumG = ${unit}(0.0);
        var sumGXhat = ${unit}(0.0);
        for (var column = i32(localIndex); isRow && column < uniforms.rowUnits;
             column = column + ${workgroupSize}) {
          let xhat = ((${loadAt('x')} - shift) - shiftedMean) * invStdOfRow;
          let g = ${loadAt('dy')} * ${layout.load('gamma', 'column')};
          sumG = sumG + g;
          sumGXhat = sumGXhat + g * xhat;
        }
        let sums = workgroupSum2(vec2<f32>(${layout.horizontalSum('sumG')},
                                           ${layout.horizontalSum('sumGXhat')}));

        if (isRow && localIndex == 0u) {
          let xhatCoef = (invStdOfRow * sums.y
                          + dInvStd[row] * invStdOfRow * invStdOfRow) / rowLength;
          let offset = (dMean[row] - invStdOfRow * sums.x) / rowLength;
          // Lanes in GradRowCoefficient order.
          result[row] = vec4<f32>(shift, shiftedMean, xhatCoef, offset);
        }
      }
    `;
  }
}
