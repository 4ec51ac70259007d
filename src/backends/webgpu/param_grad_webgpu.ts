/**
 * dGamma (sum of dy * xhat) and dBeta (sum of dy) over the elements sharing
 * each gamma entry, in two stages: ParamGradPartialProgram sums blocks of
 * those elements, one invocation per (block, gamma unit), into
 * [blocks, 2, paramSize] (ParamGrad order); ParamGradSumsProgram adds up
 * the blocks. Consecutive invocations take consecutive gamma entries, so reads
 * are coalesced on the contiguous layout.
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {GradGroup} from './fused_grad_webgpu';
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
