/** Backward dx, element-wise from GradGroupProgram's coefficients. */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {GradGroup} from './grad_group_webgpu';
import {ELEMENTWISE_WORKGROUP_SIZE, elementwiseDispatch, lane, WgslLayout} from './layout_wgsl';

export class GradInputProgram implements WebGPUProgram {
  variableNames = ['x', 'dy', 'gamma', 'invStd', 'gradCoefficients'];
  variableComponents: number[];
  outputShape: number[];
  outputComponent: number;
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
  size = true;
  uniforms: string;
  private readonly layout: WgslLayout;

  constructor(layout: WgslLayout) {
    this.layout = layout;
    const c = layout.components;
    this.variableComponents = [c, c, c, 1, 4];
    this.outputComponent = c;
    this.outputShape = [layout.groupCount * layout.groupLength];
    this.dispatch = elementwiseDispatch(layout.groupCount * layout.groupUnits);
    this.uniforms = layout.uniformDeclaration;
    this.shaderKey = `layerNormGradInput_${layout.shaderKey}`;
  }

  getUserCode(): string {
    const {layout} = this;
    const coef = (name: keyof typeof GradGroup) => `coefficients.${lane(GradGroup[name])}`;
    return `
      ${layout.helpers()}

      fn main(index : i32) {
        if (index < uniforms.size) {
          let position = elementPosition(index);
          let coefficients = gradCoefficients[position.z];
          let invStdOfGroup = invStd[position.z];
          let xhat = ((${layout.load('x', 'index')} - ${coef('SHIFT')}) - ${coef('SHIFTED_MEAN')})
                     * invStdOfGroup;
          let g = ${layout.load('dy', 'index')} * ${layout.load('gamma', 'position.y')};
          result[index] = invStdOfGroup * g - ${coef('XHAT_COEF')} * xhat + ${coef('CONST_COEF')};
        }
      }
    `;
  }
}
