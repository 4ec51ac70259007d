/**
 * Backward dGamma = sum over rows of dy * xhat and dBeta = sum over rows of
 * dy: column sums across rows, in two stages so that many rows still use
 * many invocations and no invocation loops over all of them.
 *
 *   LayerNormParamGradPartialProgram: rows are cut into blocks; one
 *     invocation per (block, column unit) sums its block. Consecutive
 *     invocations take consecutive columns, so reads are coalesced on the
 *     trailing layout. Output: [blocks, 2, rowLength], the 2 being
 *     ParamGrad.GAMMA / ParamGrad.BETA.
 *   ParamGradSumProgram: one invocation per column unit adds up the blocks
 *     of one of the two (run once for dGamma, once for dBeta).
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {GradRowCoefficient} from './layer_norm_grad_row_webgpu';
import {ELEMENTWISE_WORKGROUP_SIZE, elementwiseDispatch, lane, RowLayout} from './row_layout';

/** Index of each parameter gradient in the partial sums' second axis. */
export const ParamGrad = {
  GAMMA: 0,
  BETA: 1,
} as const;
const PARAM_GRAD_COUNT = 2;

/**
 * Rows per block of the first stage: about sqrt(rows), which balances the
 * serial loop of both stages (each ~sqrt(rows) long).
 */
export function rowsPerBlock(rows: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(rows)));
}

export class LayerNormParamGradPartialProgram implements WebGPUProgram {
  variableNames = ['x', 'dy', 'invStd', 'rowCoefficients'];
  variableComponents: number[];
  outputShape: number[];
  outputComponent: number;
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
  uniforms: string;
  private readonly layout: RowLayout;

  constructor(layout: RowLayout, blockCount: number) {
    this.layout = layout;
    const c = layout.components;
    this.variableComponents = [c, c, 1, 4];
    this.outputComponent = c;
    this.outputShape = [blockCount * PARAM_GRAD_COUNT * layout.rowLength];
    this.dispatch = elementwiseDispatch(blockCount * layout.rowUnits);
    this.uniforms = `${layout.uniformDeclaration} rowsPerBlock : i32, blockCount : i32,`;
    this.shaderKey = `layerNormParamGradPartial_${layout.shaderKey}`;
  }

  getUserCode(): string {
    const {layout} = this;
    const unit = layout.unitType;
    const coef = (name: keyof typeof GradRowCoefficient) =>
        `coefficients.${lane(GradRowCoefficient[name])}`;
    const partialIndex = (param: number) =>
        `(block * ${PARAM_GRAD_COUNT} + ${param}) * uniforms.rowUnits + column`;
    return `
      ${layout.helpers()}

      fn main(index : i32) {
        let block = index / uniforms.rowUnits;
        let column = index - block * uniforms.rowUnits;
        if (block < uniforms.blockCount) {
          let offsetInRow = columnOffset(column);
          let firstRow = block * uniforms.rowsPerBlock;
          let endRow = min(firstRow + uniforms.rowsPerBlock, uniforms.outerSize);
          var dGamma = ${unit}(0.0);
          var dBeta = ${unit}(0.0);
          for (var row = firstRow; row < endRow; row = row + 1) {
            let coefficients = rowCoefficients[row];
            let offset = rowStart(row) + offsetInRow;
            let dyValue = ${layout.load('dy', 'offset')};
            let xhat = ((${layout.load('x', 'offset')} - ${coef('SHIFT')})
                        - ${coef('SHIFTED_MEAN')}) * invStd[row];
            dGamma = dGamma + dyValue * xhat;
            dBeta = dBeta + dyValue;
          }
          result[${partialIndex(ParamGrad.GAMMA)}] = dGamma;
          result[${partialIndex(ParamGrad.BETA)}] = dBeta;
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

  /** `components`: 4 when the partial sums were written as vec4. */
  constructor(rowLength: number, components: number, param: number) {
    this.param = param;
    this.variableComponents = [components];
    this.outputComponent = components;
    this.outputShape = [rowLength];
    this.dispatch = elementwiseDispatch(rowLength / components);
    // The pipeline cache keys on shaderKey, not on the WGSL: name the width.
    this.shaderKey = `layerNormParamGradSum_${param}_vec${components}`;
  }

  getUserCode(): string {
    const unit = this.outputComponent === 4 ? 'vec4<f32>' : 'f32';
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var total = ${unit}(0.0);
          for (var block = 0; block < uniforms.blockCount; block = block + 1) {
            total = total + partialSums[
                (block * ${PARAM_GRAD_COUNT} + ${this.param}) * uniforms.size + index];
          }
          result[index] = total;
        }
      }
    `;
  }
}
