/**
 * Backward in fewer dispatches (runFused binds several outputs):
 * FusedGradProgram, one workgroup per group (or, at workgroup size 1, one
 * invocation, several groups a workgroup), computes the dx coefficients of
 * kernel_names.ts and writes dx and the coefficients (GradGroup order) that
 * ParamGradPartialProgram reads; ParamGradSumsProgram adds up the blocks (or
 * GradStripProgram's strips) of dGamma and dBeta together.
 */
import {FusedProgram, WORKGROUP_INDEX} from './fused_pipeline';
import {firstColumn, groupIndex} from './group_workgroup';
import {lane, WgslLayout, workgroupSumSnippet} from './layout_wgsl';

/** Lanes of the per-group coefficients. */
export const GradGroup = {SHIFT: 0, SHIFTED_MEAN: 1, XHAT_COEF: 2, CONST_COEF: 3} as const;

export class FusedGradProgram implements FusedProgram {
  key: string;
  workgroups: number;
  private readonly layout: WgslLayout;
  private readonly size: number;
  private readonly packing: number;
  private readonly xType: string;

  /** `packing`: groups per workgroup (groupsPerWorkgroup); `xInt`: x's buffer holds int32. */
  constructor(layout: WgslLayout, workgroupSize: number, packing: number, xInt: boolean) {
    this.layout = layout;
    this.size = workgroupSize;
    this.packing = packing;
    this.workgroups = Math.ceil(layout.groupCount / packing);
    this.xType = layout.storedUnitType(xInt);
    this.key = `layerNormFusedGrad_${layout.shaderKey}_${workgroupSize}_${packing}_${this.xType}`;
  }

  code(): string {
    const {layout, size} = this;
    const first = firstColumn(size);
    const unit = layout.unitType;
    const lanes = Object.keys(GradGroup).length;
    return `
      struct Uniforms { ${layout.uniformDeclaration} };
      @group(0) @binding(0) var<storage, read_write> dx : array<${unit}>;
      @group(0) @binding(1) var<storage, read_write> gradCoefficients : array<vec${lanes}<f32>>;
      @group(0) @binding(2) var<storage, read> x : array<${this.xType}>;
      @group(0) @binding(3) var<storage, read> dy : array<${unit}>;
      @group(0) @binding(4) var<storage, read> gamma : array<${unit}>;
      @group(0) @binding(5) var<storage, read> invStd : array<f32>;
      @group(0) @binding(6) var<storage, read> dMean : array<f32>;
      @group(0) @binding(7) var<storage, read> dInvStd : array<f32>;
      @group(0) @binding(8) var<uniform> uniforms : Uniforms;
      var<private> localIndex : u32;

      ${layout.helpers()}
      ${workgroupSumSnippet('workgroupSum', 'vec4<f32>', size)}

      @compute @workgroup_size(${size * this.packing})
      fn main(@builtin(local_invocation_index) local : u32,
              @builtin(workgroup_id) workgroupId : vec3<u32>,
              @builtin(num_workgroups) numWorkgroups : vec3<u32>) {
        localIndex = local;
        let group = ${groupIndex(size, this.packing)};
        // Extra workgroups of a folded dispatch still reach every barrier.
        let isGroup = group < uniforms.groupCount;
        var shift = 0.0;
        var scale = 0.0;
        var start = vec3<i32>(0);
        if (isGroup) {
          shift = groupShift(group);
          scale = invStd[group];
          start = groupPosition(group);
        }
        let groupLength = f32(uniforms.groupLength);

        // One pass: with d = x - shift (exact), sum(g * xhat) is
        // invStd * (sum(g * d) - shiftedMean * sum(g)), d of the data's spread.
        var sum = ${unit}(0.0);
        var sumG = ${unit}(0.0);
        var sumGD = ${unit}(0.0);
        for (var column = ${first}; isGroup && column < uniforms.groupUnits; column = column + ${size}) {
          let position = start + columnPosition(column);
          let d = ${layout.load('x', 'position.x')} - shift;
          let g = ${layout.load('dy', 'position.x')} * ${layout.load('gamma', 'position.y')};
          sum = sum + d;
          sumG = sumG + g;
          sumGD = sumGD + g * d;
        }
        let sums = workgroupSum(vec4<f32>(${layout.horizontalSum('sum')}, ${layout.horizontalSum('sumG')},
                                          ${layout.horizontalSum('sumGD')}, 0.0));
        let shiftedMean = sums.x / groupLength;
        let sumGXhat = scale * (sums.z - shiftedMean * sums.y);
        var xhatCoef = 0.0;
        var constCoef = 0.0;
        if (isGroup) {
          xhatCoef = (scale * sumGXhat + dInvStd[group] * scale * scale) / groupLength;
          constCoef = (dMean[group] - scale * sums.y) / groupLength;
        }

        for (var column = ${first}; isGroup && column < uniforms.groupUnits; column = column + ${size}) {
          let position = start + columnPosition(column);
          let xhat = ((${layout.load('x', 'position.x')} - shift) - shiftedMean) * scale;
          let g = ${layout.load('dy', 'position.x')} * ${layout.load('gamma', 'position.y')};
          dx[position.x] = scale * g - xhatCoef * xhat + constCoef;
        }
        if (${size === 1 ? 'isGroup' : 'isGroup && local == 0u'}) {
          var coefficients = vec4<f32>(0.0);
          coefficients.${lane(GradGroup.SHIFT)} = shift;
          coefficients.${lane(GradGroup.SHIFTED_MEAN)} = shiftedMean;
          coefficients.${lane(GradGroup.XHAT_COEF)} = xhatCoef;
          coefficients.${lane(GradGroup.CONST_COEF)} = constCoef;
          gradCoefficients[group] = coefficients;
        }
      }
    `;
  }
}

/** dGamma and dBeta: the blocks of ParamGradPartialProgram added up. */
export class ParamGradSumsProgram implements FusedProgram {
  key: string;
  workgroups: number;
  private readonly unit: string;

  constructor(paramUnits: number, components: number) {
    this.unit = components === 4 ? 'vec4<f32>' : 'f32';
    this.workgroups = Math.ceil(paramUnits / 64);
    this.key = `layerNormParamGradSums_${components}`;
  }

  code(): string {
    return `
      struct Uniforms { paramUnits : i32, blockCount : i32, };
      @group(0) @binding(0) var<storage, read_write> dGamma : array<${this.unit}>;
      @group(0) @binding(1) var<storage, read_write> dBeta : array<${this.unit}>;
      @group(0) @binding(2) var<storage, read> partialSums : array<${this.unit}>;
      @group(0) @binding(3) var<uniform> uniforms : Uniforms;

      @compute @workgroup_size(64)
      fn main(@builtin(local_invocation_index) local : u32,
              @builtin(workgroup_id) workgroupId : vec3<u32>,
              @builtin(num_workgroups) numWorkgroups : vec3<u32>) {
        let index = ${WORKGROUP_INDEX} * 64 + i32(local);
        if (index < uniforms.paramUnits) {
          var gammaTotal = ${this.unit}(0.0);
          var betaTotal = ${this.unit}(0.0);
          for (var block = 0; block < uniforms.blockCount; block = block + 1) {
            gammaTotal = gammaTotal + partialSums[(block * 2) * uniforms.paramUnits + index];
            betaTotal = betaTotal + partialSums[(block * 2 + 1) * uniforms.paramUnits + index];
          }
          dGamma[index] = gammaTotal;
          dBeta[index] = betaTotal;
        }
      }
    `;
  }
}
