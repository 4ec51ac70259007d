/**
 * The forward at one invocation per group (group workgroup size 1): each
 * invocation takes two consecutive groups through the same three passes as
 * FusedForwardProgram, sharing loop overhead and, where groups share gamma
 * positions, gamma and beta loads. No barriers.
 */
import {FusedProgram} from './fused_pipeline';
import {groupIndex} from './group_workgroup';
import {WgslLayout} from './layout_wgsl';

export const GROUPS_PER_INVOCATION = 2;

export class ForwardPairsProgram implements FusedProgram {
  key: string;
  workgroups: number;
  private readonly layout: WgslLayout;
  private readonly packing: number;
  private readonly xType: string;

  /** `packing`: invocations per workgroup; `xInt`: x's buffer holds int32. */
  constructor(layout: WgslLayout, packing: number, xInt: boolean) {
    this.layout = layout;
    this.packing = packing;
    this.workgroups = Math.ceil(layout.groupCount / (GROUPS_PER_INVOCATION * packing));
    this.xType = layout.storedUnitType(xInt);
    this.key = `layerNormForwardPairs_${layout.shaderKey}_${packing}_${this.xType}`;
  }

  code(): string {
    const {layout} = this;
    const unit = layout.unitType;
    const each = (line: (g: string) => string) => ['A', 'B'].map(line).join('\n        ');
    const shared = layout.groupsShareParams;
    const load = (buffer: string, g: string) => layout.load(buffer, `start${g}.x + offset.x`);
    const param = (buffer: string, g: string) =>
        shared ? `${buffer}Value` : layout.load(buffer, `start${g}.y + offset.y`);
    return `
      struct Uniforms { ${layout.uniformDeclaration} epsilon : f32, };
      @group(0) @binding(0) var<storage, read_write> y : array<${unit}>;
      @group(0) @binding(1) var<storage, read_write> mean : array<f32>;
      @group(0) @binding(2) var<storage, read_write> invStd : array<f32>;
      @group(0) @binding(3) var<storage, read> x : array<${this.xType}>;
      @group(0) @binding(4) var<storage, read> gamma : array<${unit}>;
      @group(0) @binding(5) var<storage, read> beta : array<${unit}>;
      @group(0) @binding(6) var<uniform> uniforms : Uniforms;

      ${layout.helpers()}

      @compute @workgroup_size(${this.packing})
      fn main(@builtin(local_invocation_index) local : u32,
              @builtin(workgroup_id) workgroupId : vec3<u32>,
              @builtin(num_workgroups) numWorkgroups : vec3<u32>) {
        let groupA = (${groupIndex(1, this.packing)}) * ${GROUPS_PER_INVOCATION};
        if (groupA >= uniforms.groupCount) {
          return;
        }
        // A last odd group is paired with itself (written twice, the same).
        let groupB = min(groupA + 1, uniforms.groupCount - 1);
        let groupLength = f32(uniforms.groupLength);
        ${each(g => `let shift${g} = groupShift(group${g});
        let start${g} = groupPosition(group${g});
        var sum${g} = ${unit}(0.0);
        var squares${g} = ${unit}(0.0);`)}

        for (var column = 0; column < uniforms.groupUnits; column = column + 1) {
          let offset = columnPosition(column);
          ${each(g => `sum${g} = sum${g} + (${load('x', g)} - shift${g});`)}
        }
        ${each(g => `let shiftedMean${g} = ${layout.horizontalSum(`sum${g}`)} / groupLength;`)}

        for (var column = 0; column < uniforms.groupUnits; column = column + 1) {
          let offset = columnPosition(column);
          ${each(g => `let deviation${g} = (${load('x', g)} - shift${g}) - shiftedMean${g};
          squares${g} = squares${g} + deviation${g} * deviation${g};`)}
        }
        ${each(g => `let scale${g} = 1.0 / sqrt(${layout.horizontalSum(`squares${g}`)} / groupLength + uniforms.epsilon);`)}

        for (var column = 0; column < uniforms.groupUnits; column = column + 1) {
          let offset = columnPosition(column);
          ${shared ? `let gammaValue = ${layout.load('gamma', 'offset.y')};
          let betaValue = ${layout.load('beta', 'offset.y')};` : ''}
          ${each(g => `y[start${g}.x + offset.x] = ((${load('x', g)} - shift${g}) - shiftedMean${g})
              * scale${g} * ${param('gamma', g)} + ${param('beta', g)};`)}
        }
        ${each(g => `mean[group${g}] = shift${g} + shiftedMean${g};
        invStd[group${g}] = scale${g};`)}
      }
    `;
  }
}
