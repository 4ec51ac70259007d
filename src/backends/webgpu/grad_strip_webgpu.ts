/**
 * Backward at one invocation per group (group workgroup size 1): each
 * invocation takes a strip of consecutive groups, writes their dx and adds
 * their dy * xhat and dy into its strip's row of partial sums
 * ([strips, 2, paramSize], ParamGrad order) that ParamGradSumsProgram adds
 * up. No barriers, and x and dy are read twice, not three times.
 */
import {FusedProgram, WORKGROUP_INDEX} from './fused_pipeline';
import {WgslLayout} from './layout_wgsl';
import {ParamGrad} from './param_grad_webgpu';

export class GradStripProgram implements FusedProgram {
  key: string;
  workgroups: number;
  private readonly layout: WgslLayout;
  private readonly packing: number;
  private readonly xType: string;

  /** `packing`: strips per workgroup; `xInt`: x's buffer holds int32. */
  constructor(layout: WgslLayout, stripCount: number, packing: number, xInt: boolean) {
    this.layout = layout;
    this.packing = packing;
    this.workgroups = Math.ceil(stripCount / packing);
    this.xType = xInt ? layout.unitType.replace('f32', 'i32') : layout.unitType;
    this.key = `layerNormGradStrip_${layout.shaderKey}_${packing}_${this.xType}`;
  }

  code(): string {
    const {layout} = this;
    const unit = layout.unitType;
    const sum = (value: string) => layout.horizontalSum(value);
    const partial = (param: number) => `(strip * 2 + ${param}) * uniforms.paramUnits`;
    return `
      struct Uniforms { ${layout.uniformDeclaration} groupsPerStrip : i32, stripCount : i32, };
      @group(0) @binding(0) var<storage, read_write> dx : array<${unit}>;
      @group(0) @binding(1) var<storage, read_write> partialSums : array<${unit}>;
      @group(0) @binding(2) var<storage, read> x : array<${this.xType}>;
      @group(0) @binding(3) var<storage, read> dy : array<${unit}>;
      @group(0) @binding(4) var<storage, read> gamma : array<${unit}>;
      @group(0) @binding(5) var<storage, read> invStd : array<f32>;
      @group(0) @binding(6) var<storage, read> dMean : array<f32>;
      @group(0) @binding(7) var<storage, read> dInvStd : array<f32>;
      @group(0) @binding(8) var<uniform> uniforms : Uniforms;

      ${layout.helpers()}

      @compute @workgroup_size(${this.packing})
      fn main(@builtin(local_invocation_index) local : u32,
              @builtin(workgroup_id) workgroupId : vec3<u32>,
              @builtin(num_workgroups) numWorkgroups : vec3<u32>) {
        let strip = ${WORKGROUP_INDEX} * ${this.packing} + i32(local);
        if (strip >= uniforms.stripCount) {
          return;
        }
        let gammaSums = ${partial(ParamGrad.GAMMA)};
        let betaSums = ${partial(ParamGrad.BETA)};
        for (var param = 0; param < uniforms.paramUnits; param = param + 1) {
          partialSums[gammaSums + param] = ${unit}(0.0);
          partialSums[betaSums + param] = ${unit}(0.0);
        }
        let groupLength = f32(uniforms.groupLength);
        let firstGroup = strip * uniforms.groupsPerStrip;
        let endGroup = min(firstGroup + uniforms.groupsPerStrip, uniforms.groupCount);
        for (var group = firstGroup; group < endGroup; group = group + 1) {
          let shift = groupShift(group);
          let scale = invStd[group];
          let start = groupPosition(group);
          // As FusedGradProgram: with d = x - shift (exact), sum(g * xhat) is
          // invStd * (sum(g * d) - shiftedMean * sum(g)).
          var sumD = ${unit}(0.0);
          var sumG = ${unit}(0.0);
          var sumGD = ${unit}(0.0);
          for (var column = 0; column < uniforms.groupUnits; column = column + 1) {
            let position = start + columnPosition(column);
            let d = ${layout.load('x', 'position.x')} - shift;
            let g = ${layout.load('dy', 'position.x')} * ${layout.load('gamma', 'position.y')};
            sumD = sumD + d;
            sumG = sumG + g;
            sumGD = sumGD + g * d;
          }
          let shiftedMean = ${sum('sumD')} / groupLength;
          let totalG = ${sum('sumG')};
          let sumGXhat = scale * (${sum('sumGD')} - shiftedMean * totalG);
          let xhatCoef = (scale * sumGXhat + dInvStd[group] * scale * scale) / groupLength;
          let constCoef = (dMean[group] - scale * totalG) / groupLength;
          for (var column = 0; column < uniforms.groupUnits; column = column + 1) {
            let position = start + columnPosition(column);
            let xhat = ((${layout.load('x', 'position.x')} - shift) - shiftedMean) * scale;
            let dyValue = ${layout.load('dy', 'position.x')};
            dx[position.x] = scale * dyValue * ${layout.load('gamma', 'position.y')}
                - xhatCoef * xhat + constCoef;
            partialSums[gammaSums + position.y] = partialSums[gammaSums + position.y] + dyValue * xhat;
            partialSums[betaSums + position.y] = partialSums[betaSums + position.y] + dyValue;
          }
        }
      }
    `;
  }
}
