/**
 * Backward, one workgroup per group: the shifted mean again (as the forward
 * computed it), the sums of g = dy * gamma and g * xhat, then the dx
 * coefficients of kernel_names.ts, one vec4 per group in GradGroup order.
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {WgslLayout, workgroupSumSnippet} from './layout_wgsl';

export const GradGroup = {SHIFT: 0, SHIFTED_MEAN: 1, XHAT_COEF: 2, CONST_COEF: 3} as const;

export class GradGroupProgram implements WebGPUProgram {
  variableNames = ['x', 'dy', 'gamma', 'invStd', 'dMean', 'dInvStd'];
  variableComponents: number[];
  outputShape: number[];
  outputComponent = 4;
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms: string;
  private readonly layout: WgslLayout;

  constructor(layout: WgslLayout, workgroupSize: number) {
    this.layout = layout;
    const c = layout.components;
    this.variableComponents = [c, c, c, 1, 1, 1];
    this.outputShape = [layout.groupCount * 4];
    this.workgroupSize = [workgroupSize, 1, 1];
    this.dispatch = [layout.groupCount, 1, 1];
    this.uniforms = layout.uniformDeclaration;
    this.shaderKey = `layerNormGradGroup_${layout.shaderKey}`;
  }

  getUserCode(): string {
    const {layout} = this;
    const unit = layout.unitType;
    const size = this.workgroupSize[0];
    return `
      ${layout.helpers()}
      ${workgroupSumSnippet('workgroupSum', 'f32', size)}
      ${workgroupSumSnippet('workgroupSum2', 'vec2<f32>', size)}

      fn main(index : i32) {
        let group = index / ${size};
        // Extra workgroups of a folded dispatch still reach every barrier.
        let isGroup = group < uniforms.groupCount;
        var shift = 0.0;
        var invStdOfGroup = 0.0;
        var start = vec3<i32>(0);
        if (isGroup) {
          shift = groupShift(group);
          invStdOfGroup = invStd[group];
          start = groupPosition(group);
        }
        let groupLength = f32(uniforms.groupLength);

        var sum = ${unit}(0.0);
        for (var column = i32(localIndex); isGroup && column < uniforms.groupUnits;
             column = column + ${size}) {
          sum = sum + (${layout.load('x', 'start.x + columnPosition(column).x')} - shift);
        }
        let shiftedMean = workgroupSum(${layout.horizontalSum('sum')}) / groupLength;

        var sumG = ${unit}(0.0);
        var sumGXhat = ${unit}(0.0);
        for (var column = i32(localIndex); isGroup && column < uniforms.groupUnits;
             column = column + ${size}) {
          let position = start + columnPosition(column);
          let xhat = ((${layout.load('x', 'position.x')} - shift) - shiftedMean) * invStdOfGroup;
          let g = ${layout.load('dy', 'position.x')} * ${layout.load('gamma', 'position.y')};
          sumG = sumG + g;
          sumGXhat = sumGXhat + g * xhat;
        }
        let sums = workgroupSum2(vec2<f32>(${layout.horizontalSum('sumG')},
                                           ${layout.horizontalSum('sumGXhat')}));

        if (isGroup && localIndex == 0u) {
          let xhatCoef = (invStdOfGroup * sums.y
                          + dInvStd[group] * invStdOfGroup * invStdOfGroup) / groupLength;
          let constCoef = (dMean[group] - invStdOfGroup * sums.x) / groupLength;
          result[group] = vec4<f32>(shift, shiftedMean, xhatCoef, constCoef);
        }
      }
    `;
  }
}
