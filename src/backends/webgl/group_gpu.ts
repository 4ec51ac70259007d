/** A value per group from per-group inputs: mean, invStd, dx coefficients. */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {GlslLayout} from './layout_glsl';
import {flatOutputIndexGlsl, flatOutputShape} from './textures';

export class GroupProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms: GPGPUProgram['customUniforms'];

  /** `value`: GLSL of `group`; `uniforms`: float uniforms it reads. */
  constructor(layout: GlslLayout, variableNames: string[], value: string, uniforms: string[] = []) {
    this.variableNames = variableNames;
    const shape = flatOutputShape(layout.groupCount);
    this.outputShape = shape;
    this.customUniforms = uniforms.length ? uniforms.map(name => ({name, type: 'float' as const})) : undefined;
    this.userCode = `
      ${variableNames.includes('x') ? layout.helpers(true) : ''}

      void main() {
        ${flatOutputIndexGlsl(shape)}
        int group = outIndex;
        setOutput(${value});
      }
    `;
  }
}
