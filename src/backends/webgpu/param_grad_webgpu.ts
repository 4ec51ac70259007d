/**
 * dGamma (sum of dy * xhat) and dBeta (sum of dy) over the elements sharing
 * each gamma entry, in two stages: ParamGradPartialProgram sums blocks of
 * those elements, one invocation per (block, gamma unit), into
 * [blocks, 2, paramSize]; ParamGradSumProgram adds up the blocks of one of
 * the two. Consecutive invocations take consecutive gamma entries, so reads
 * are coalesced on the contiguous layout.
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {GradGroup} from './grad_group_webgpu';
import {ELEMENTWISE_WORKGROUP_SIZE, elementwiseDispatch, lane, WgslLayout} from './layout_wgsl';

export const ParamGrad = {GAMMA: 0, BETA: 1} as const;

/** About sqrt(n): balances the serial loops of the two stages. */
export function itemsPerBlock(reduceLength: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(reduceLength)));
}

export class ParamGradPartialProgram implements WebGPUProgram {
  variableNames = ['x', 'dy', 'invStd', 'gradCoefficients'];
  variableComponents: number[];
  outputShape: number[];
  outputComponent: number;
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
  uniforms: string;
  private readonly layout: WgslLayout;

  constructor(layout: WgslLayout, blockCount: number) {
    this.layout = layout;
    const c = layout.components;
    this.variableComponents = [c, c, 1, 4];
    this.outputComponent = c;
    this.outputShape = [blockCount * 2 * layout.paramSize];
    this.dispatch = elementwiseDispatch(blockCount * layout.paramUnits);
    this.uniforms = `${layout.uniformDeclaration} itemsPerBlock : i32, blockCount : i32,`;
    this.shaderKey = `layerNormParamGradPartial_${layout.shaderKey}`;
  }

  getUserCode(): string {
    const {layout} = this;
    const unit = layout.unitType;
    const coef = (name: keyof typeof GradGroup) => `coefficients.${lane(GradGroup[name])}`;
    const partial = (param: number) => `(block * 2 + ${param}) * uniforms.paramUnits + param`;
    return `
      ${layout.helpers()}

      fn main(index : i32) {
        let block = index / uniforms.paramUnits;
        let param = index - block * uniforms.paramUnits;
        if (block < uniforms.blockCount) {
          let first = paramPosition(param);
          let firstItem = block * uniforms.itemsPerBlock;
          let endItem = min(firstItem + uniforms.itemsPerBlock, uniforms.reduceLength);
          var dGamma = ${unit}(0.0);
          var dBeta = ${unit}(0.0);
          for (var item = firstItem; item < endItem; item = item + 1) {
            let position = first + reducePosition(item);
            let coefficients = gradCoefficients[position.z];
            let dyValue = ${layout.load('dy', 'position.x')};
            let xhat = ((${layout.load('x', 'position.x')} - ${coef('SHIFT')})
                        - ${coef('SHIFTED_MEAN')}) * invStd[position.z];
            dGamma = dGamma + dyValue * xhat;
            dBeta = dBeta + dyValue;
          }
          result[${partial(ParamGrad.GAMMA)}] = dGamma;
          result[${partial(ParamGrad.BETA)}] = dBeta;
        }
      }
    `;
  }
}

export class ParamGradSumProgram implements WebGPUProgram {
  variableNames = ['partialSums'];
  variableComponents: number[];
  outputShape: number[];
  outputComponent: number;
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
  size = true;
  uniforms = 'blockCount : i32,';
  private readonly param: number;

  constructor(paramSize: number, components: number, param: number) {
    this.param = param;
    this.variableComponents = [components];
    this.outputComponent = components;
    this.outputShape = [paramSize];
    this.dispatch = elementwiseDispatch(paramSize / components);
    this.shaderKey = `layerNormParamGradSum_${param}_vec${components}`;
  }

  getUserCode(): string {
    const unit = this.outputComponent === 4 ? 'vec4<f32>' : 'f32';
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var total = ${unit}(0.0);
          for (var block = 0; block < uniforms.blockCount; block = block + 1) {
            total = total + partialSums[(block * 2 + ${this.param}) * uniforms.size + index];
          }
          result[index] = total;
        }
      }
    `;
  }
}
