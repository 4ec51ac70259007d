/** Forward y, one invocation per element (or vec4) in x's memory order. */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {GroupStat} from './group_stats_webgpu';
import {ELEMENTWISE_WORKGROUP_SIZE, elementwiseDispatch, lane, WgslLayout} from './layout_wgsl';

export class NormalizeProgram implements WebGPUProgram {
  variableNames = ['x', 'gamma', 'beta', 'groupStats'];
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
    this.variableComponents = [c, c, c, 4];
    this.outputComponent = c;
    this.outputShape = [layout.groupCount * layout.groupLength];
    this.dispatch = elementwiseDispatch(layout.groupCount * layout.groupUnits);
    this.uniforms = layout.uniformDeclaration;
    this.shaderKey = `layerNormNormalize_${layout.shaderKey}`;
  }

  getUserCode(): string {
    const {layout} = this;
    const stat = (name: keyof typeof GroupStat) => `stats.${lane(GroupStat[name])}`;
    return `
      ${layout.helpers()}

      fn main(index : i32) {
        if (index < uniforms.size) {
          let position = elementPosition(index);
          let stats = groupStats[position.z];
          let xhat = (${layout.load('x', 'index')} - ${stat('SHIFT')} - ${stat('SHIFTED_MEAN')})
                     * ${stat('INV_STD')};
          result[index] = xhat * ${layout.load('gamma', 'position.y')}
                          + ${layout.load('beta', 'position.y')};
        }
      }
    `;
  }
}
