/**
 * The whole forward in one dispatch, one workgroup per group: shifted mean,
 * variance of the deviations, then y, mean and invStd written together
 * (runFused binds the three outputs).
 */
import {FusedProgram, WORKGROUP_INDEX} from './fused_pipeline';
import {WgslLayout, workgroupSumSnippet} from './layout_wgsl';

export class FusedForwardProgram implements FusedProgram {
  key: string;
  workgroups: number;
  private readonly layout: WgslLayout;
  private readonly size: number;
  private readonly xType: string;

  /** `xInt`: x's buffer holds int32 (converted on load). */
  constructor(layout: WgslLayout, workgroupSize: number, xInt: boolean) {
    this.layout = layout;
    this.size = workgroupSize;
    this.workgroups = layout.groupCount;
    this.xType = layout.storedUnitType(xInt);
    this.key = `layerNormFusedForward_${layout.shaderKey}_${workgroupSize}_${this.xType}`;
  }

  code(): string {
    const {layout, size} = this;
    const unit = layout.unitType;
    const load = (buffer: string) => layout.load(buffer, 'start + columnPosition(column).x');
    return `
      struct Uniforms { ${layout.uniformDeclaration} epsilon : f32, };
      @group(0) @binding(0) var<storage, read_write> y : array<${unit}>;
      @group(0) @binding(1) var<storage, read_write> mean : array<f32>;
      @group(0) @binding(2) var<storage, read_write> invStd : array<f32>;
      @group(0) @binding(3) var<storage, read> x : array<${this.xType}>;
      @group(0) @binding(4) var<storage, read> gamma : array<${unit}>;
      @group(0) @binding(5) var<storage, read> beta : array<${unit}>;
      @group(0) @binding(6) var<uniform> uniforms : Uniforms;
      var<private> localIndex : u32;

      ${layout.helpers()}
      ${workgroupSumSnippet('workgroupSum', 'f32', size)}

      @compute @workgroup_size(${size})
      fn main(@builtin(local_invocation_index) local : u32,
              @builtin(workgroup_id) workgroupId : vec3<u32>,
              @builtin(num_workgroups) numWorkgroups : vec3<u32>) {
        localIndex = local;
        let group = ${WORKGROUP_INDEX};
        // Extra workgroups of a folded dispatch still reach every barrier.
        let isGroup = group < uniforms.groupCount;
        var shift = 0.0;
        var start = 0;
        var paramStart = 0;
        if (isGroup) {
          shift = groupShift(group);
          start = groupPosition(group).x;
          paramStart = groupPosition(group).y;
        }
        let groupLength = f32(uniforms.groupLength);

        var sum = ${unit}(0.0);
        for (var column = i32(local); isGroup && column < uniforms.groupUnits; column = column + ${size}) {
          sum = sum + (${load('x')} - shift);
        }
        let shiftedMean = workgroupSum(${layout.horizontalSum('sum')}) / groupLength;

        var squares = ${unit}(0.0);
        for (var column = i32(local); isGroup && column < uniforms.groupUnits; column = column + ${size}) {
          let deviation = (${load('x')} - shift) - shiftedMean;
          squares = squares + deviation * deviation;
        }
        let variance = workgroupSum(${layout.horizontalSum('squares')}) / groupLength;
        let scale = 1.0 / sqrt(variance + uniforms.epsilon);

        for (var column = i32(local); isGroup && column < uniforms.groupUnits; column = column + ${size}) {
          let position = columnPosition(column);
          let param = paramStart + position.y;
          y[start + position.x] = ((${layout.load('x', 'start + position.x')} - shift) - shiftedMean)
              * scale * ${layout.load('gamma', 'param')} + ${layout.load('beta', 'param')};
        }
        if (isGroup && local == 0u) {
          mean[group] = shift + shiftedMean;
          invStd[group] = scale;
        }
      }
    `;
  }
}
