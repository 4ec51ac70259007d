/**
 * Forward statistics, one workgroup per group: two passes over x - shift
 * (mean, then squared deviations; never E[x^2] - E[x]^2), one vec4 per group
 * in GroupStat order. Shift and shifted mean stay apart: their f32 sum (the
 * mean output) has lost the low bits that y needs.
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {WgslLayout, workgroupSumSnippet} from './layout_wgsl';

export const GroupStat = {SHIFT: 0, SHIFTED_MEAN: 1, INV_STD: 2, MEAN: 3} as const;

export class GroupStatsProgram implements WebGPUProgram {
  variableNames = ['x'];
  variableComponents: number[];
  outputShape: number[];
  outputComponent = 4;
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms: string;
  private readonly layout: WgslLayout;

  /** `workgroupSize`: invocations per group, a power of two (group_workgroup.ts). */
  constructor(layout: WgslLayout, workgroupSize: number) {
    this.layout = layout;
    this.variableComponents = [layout.components];
    this.outputShape = [layout.groupCount * 4];
    this.workgroupSize = [workgroupSize, 1, 1];
    // The backend folds a long dispatch into 2-D; getGlobalIndex() unfolds it.
    this.dispatch = [layout.groupCount, 1, 1];
    this.uniforms = `${layout.uniformDeclaration} epsilon : f32,`;
    this.shaderKey = `layerNormGroupStats_${layout.shaderKey}`;
  }

  getUserCode(): string {
    const {layout} = this;
    const unit = layout.unitType;
    const size = this.workgroupSize[0];
    return `
      ${layout.helpers()}
      ${workgroupSumSnippet('workgroupSum', 'f32', size)}

      fn main(index : i32) {
        let group = index / ${size};
        // Extra workgroups of a folded dispatch still reach every barrier.
        let isGroup = group < uniforms.groupCount;
        var shift = 0.0;
        var start = 0;
        if (isGroup) {
          shift = groupShift(group);
          start = groupPosition(group).x;
        }
        let groupLength = f32(uniforms.groupLength);

        var sum = ${unit}(0.0);
        for (var column = i32(localIndex); isGroup && column < uniforms.groupUnits;
             column = column + ${size}) {
          sum = sum + (${layout.load('x', 'start + columnPosition(column).x')} - shift);
        }
        let shiftedMean = workgroupSum(${layout.horizontalSum('sum')}) / groupLength;

        var squares = ${unit}(0.0);
        for (var column = i32(localIndex); isGroup && column < uniforms.groupUnits;
             column = column + ${size}) {
          let deviation = (${layout.load('x', 'start + columnPosition(column).x')} - shift)
                          - shiftedMean;
          squares = squares + deviation * deviation;
        }
        let variance = workgroupSum(${layout.horizontalSum('squares')}) / groupLength;

        if (isGroup && localIndex == 0u) {
          let invStd = 1.0 / sqrt(variance + uniforms.epsilon);
          result[group] = vec4<f32>(shift, shiftedMean, invStd, shift + shiftedMean);
        }
      }
    `;
  }
}

/** Copies one lane of a per-group vec4 into its own tensor (mean, invStd). */
export class GroupStatLaneProgram implements WebGPUProgram {
  variableNames = ['groupStats'];
  variableComponents = [4];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  private readonly lane: string;

  constructor(groupCount: number, lane: number) {
    this.lane = 'xyzw'[lane];
    this.outputShape = [groupCount];
    this.dispatch = [Math.ceil(groupCount / 64), 1, 1];
    this.shaderKey = `layerNormGroupStatLane_${this.lane}`;
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          result[index] = groupStats[index].${this.lane};
        }
      }
    `;
  }
}
