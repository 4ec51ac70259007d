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
    this.xType = layout.storedUnitType(xInt);
    this.key = `layerNormGradStrip_${layout.shaderKey}_${packing}_${this.xType}`;
  }

  code(): string {
    const {layout} = this;
    const unit = layout.unitType;
    const sum = (value: string) => layout.horizontalSum(value);
    const partial = (param: number) => `(strip * 2 + ${param}) * uniforms.paramUnits`;
    const each = (line: (g: string) => string) => ['A', 'B'].map(line).join('\n          ');
    // Groups share gamma positions unless a kept axis is a feature axis.
    const shared = layout.groupsShareParams;
    const gammaLoads = shared ? `let gammaValue = ${layout.load('gamma', 'positionA.y')};` :
                                each(g => `let gammaValue${g} = ${layout.load('gamma', `position${g}.y`)};`);
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
        // Two groups a pass (loop overhead, gamma loads and partial-sum
        // updates shared); an odd strip pairs its last group with itself,
        // counted once.
        for (var group = firstGroup; group < endGroup; group = group + 2) {
          let groupA = group;
          let groupB = min(group + 1, endGroup - 1);
          let weightB = select(0.0, 1.0, group + 1 < endGroup);
          ${each(g => `let shift${g} = groupShift(group${g});
          let scale${g} = invStd[group${g}];
          let start${g} = groupPosition(group${g});
          var sumD${g} = ${unit}(0.0);
          var sumG${g} = ${unit}(0.0);
          var sumGD${g} = ${unit}(0.0);`)}
          for (var column = 0; column < uniforms.groupUnits; column = column + 1) {
            let offset = columnPosition(column);
            ${each(g => `let position${g} = start${g} + offset;`)}
            ${gammaLoads}
            ${each(g => `let d${g} = ${layout.load('x', `position${g}.x`)} - shift${g};
            let g${g} = ${layout.load('dy', `position${g}.x`)} * gammaValue${shared ? '' : g};
            sumD${g} = sumD${g} + d${g};
            sumG${g} = sumG${g} + g${g};
            sumGD${g} = sumGD${g} + g${g} * d${g};`)}
          }
          // As FusedGradProgram: with d = x - shift (exact), sum(g * xhat) is
          // invStd * (sum(g * d) - shiftedMean * sum(g)).
          ${each(g => `let shiftedMean${g} = ${sum(`sumD${g}`)} / groupLength;
          let totalG${g} = ${sum(`sumG${g}`)};
          let sumGXhat${g} = scale${g} * (${sum(`sumGD${g}`)} - shiftedMean${g} * totalG${g});
          let xhatCoef${g} = (scale${g} * sumGXhat${g} + dInvStd[group${g}] * scale${g} * scale${g}) / groupLength;
          let constCoef${g} = (dMean[group${g}] - scale${g} * totalG${g}) / groupLength;`)}
          for (var column = 0; column < uniforms.groupUnits; column = column + 1) {
            let offset = columnPosition(column);
            ${each(g => `let position${g} = start${g} + offset;`)}
            ${gammaLoads}
            ${each(g => `let xhat${g} = ((${layout.load('x', `position${g}.x`)} - shift${g}) - shiftedMean${g}) * scale${g};
            let dy${g} = ${layout.load('dy', `position${g}.x`)};
            dx[position${g}.x] = scale${g} * dy${g} * gammaValue${shared ? '' : g} - xhat${g} * xhatCoef${g} + constCoef${g};`)}
            ${shared ? `partialSums[gammaSums + positionA.y] = partialSums[gammaSums + positionA.y]
                + dyA * xhatA + weightB * dyB * xhatB;
            partialSums[betaSums + positionA.y] = partialSums[betaSums + positionA.y] + dyA + weightB * dyB;` :
            each(g => `partialSums[gammaSums + position${g}.y] = partialSums[gammaSums + position${g}.y]
                + ${g === 'B' ? 'weightB * ' : ''}dy${g} * xhat${g};
            partialSums[betaSums + position${g}.y] = partialSums[betaSums + position${g}.y] + ${g === 'B' ? 'weightB * ' : ''}dy${g};`)}
          }
        }
      }
    `;
  }
}
