/**
 * Forward statistics: one workgroup per row, each invocation summing a
 * strided slice of the row, then a shared-memory tree for the row total.
 *
 * Numerics (f32 throughout): every element is first shifted by the row's
 * first element (RowLayout.rowShiftSnippet). For the nearby values of a
 * row, x - shift is exact, so a row of mean 1e4 and spread 1 loses nothing
 * to its mean, and a constant row gives exactly zero deviations (y = beta).
 * Then two passes: the mean of the shifted values, then the sum of squared
 * deviations from it (never E[x^2] - E[x]^2, which cancels catastrophically).
 *
 * Output: one vec4 per row (see RowStat). The shift and the shifted mean are
 * kept apart because their f32 sum (the mean output) has lost the low bits
 * that y needs.
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {PER_ROW_VEC4_FLOATS, RowLayout, workgroupSumSnippet} from './row_layout';

/** Lanes of the per-row vec4 written by LayerNormStatsProgram. */
export const RowStat = {
  SHIFT: 0,
  SHIFTED_MEAN: 1,
  INV_STD: 2,
  MEAN: 3,
} as const;

export class LayerNormStatsProgram implements WebGPUProgram {
  variableNames = ['x'];
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
    this.variableComponents = [layout.components];
    this.outputShape = [layout.outerSize * PER_ROW_VEC4_FLOATS];
    this.workgroupSize = [workgroupSize, 1, 1];
    // One workgroup per row; the backend folds it into 2D/3D past
    // maxComputeWorkgroupsPerDimension, and getGlobalIndex() unfolds it.
    this.dispatch = [layout.outerSize, 1, 1];
    this.uniforms = `${layout.uniformDeclaration} epsilon : f32,`;
    this.shaderKey = `layerNormStats_${layout.shaderKey}`;
  }

  getUserCode(): string {
    const {layout} = this;
    const unit = layout.unitType;
    const workgroupSize = this.workgroupSize[0];
    return `
      ${layout.helpers()}
      ${layout.rowShiftSnippet()}
      ${workgroupSumSnippet('workgroupSum', 'f32', workgroupSize)}

      fn shiftedX(row : i32, column : i32, shift : f32) -> ${unit} {
        return ${layout.load('x', 'rowStart(row) + columnOffset(column)')} - shift;
      }

      fn main(index : i32) {
        let row = index / ${workgroupSize};
        // Extra workgroups of a folded dispatch still reach every barrier.
        let isRow = row < uniforms.outerSize;
        var shift = 0.0;
        if (isRow) {
          shift = rowShift(row);
        }
        let rowLength = f32(uniforms.rowLength);

        var sum = ${unit}(0.0);
        for (var column = i32(localIndex); isRow && column < uniforms.rowUnits;
             column = column + ${workgroupSize}) {
          sum = sum + shiftedX(row, column, shift);
        }
        let shiftedMean = workgroupSum(${layout.horizontalSum('sum')}) / rowLength;

        var squares = ${unit}(0.0);
        for (var column = i32(localIndex); isRow && column < uniforms.rowUnits;
             column = column + ${workgroupSize}) {
          let deviation = shiftedX(row, column, shift) - shiftedMean;
          squares = squares + deviation * deviation;
        }
        let variance = workgroupSum(${layout.horizontalSum('squares')}) / rowLength;

        if (isRow && localIndex == 0u) {
          let invStd = 1.0 / sqrt(variance + uniforms.epsilon);
          // Lanes in RowStat order.
          result[row] = vec4<f32>(shift, shiftedMean, invStd, shift + shiftedMean);
        }
      }
    `;
  }
}
