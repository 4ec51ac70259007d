/**
 * Backward dx, element-wise from the per-row coefficients of
 * LayerNormGradRowProgram (formula there), in x's memory order.
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {GradRowCoefficient} from './layer_norm_grad_row_webgpu';
import {ELEMENTWISE_WORKGROUP_SIZE, elementwiseDispatch, lane, RowLayout} from './row_layout';

export class LayerNormGradInputProgram implements WebGPUProgram {
  variableNames = ['x', 'dy', 'gamma', 'invStd', 'rowCoefficients'];
  variableComponents: number[];
  outputShape: number[];
  outputComponent: number;
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
  size = true;
  uniforms: string;
  private readonly layout: RowLayout;

  constructor(layout: RowLayout) {
    this.layout = layout;
    const c = layout.components;
    this.variableComponents = [c, c, c, 1, 4];
    this.outputComponent = c;
    this.outputShape = [layout.outerSize * layout.rowLength];
    this.dispatch = elementwiseDispatch(layout.outerSize * layout.rowUnits);
    this.uniforms = layout.uniformDeclaration;
    this.shaderKey = `layerNormGradInput_${layout.shaderKey}`;
  }

  getUserCode(): string {
    const {layout} = this;
    const coef = (name: keyof typeof GradRowCoefficient) =>
        `coefficients.${lane(GradRowCoefficient[name])}`;
    return `
      ${layout.helpers()}

      fn main(index : i32) {
        if (index < uniforms.size) {
          let position = rowAndColumn(index);
          let coefficients = rowCoefficients[position.x];
          let invStdOfRow = invStd[position.x];
          let xhat = ((${layout.load('x', 'index')} - ${coef('SHIFT')})
                      - ${coef('SHIFTED_MEAN')}) * invStdOfRow;
          let g = ${layout.load('dy', 'index')} * ${layout.load('gamma', 'position.y')};
          result[index] = invStdOfRow * g - xhat * ${coef('XHAT_COEF')} + ${coef('OFFSET')};
        }
      }
    `;
  }
}
