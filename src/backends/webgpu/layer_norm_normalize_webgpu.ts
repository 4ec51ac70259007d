/**
 * Forward output: y = ((x - shift) - shiftedMean) * invStd * gamma + beta,
 * one invocation per element (per vec4 on the vectorized path), in x's own
 * memory order so reads and writes are coalesced for any axes.
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {RowStat} from './layer_norm_stats_webgpu';
import {ELEMENTWISE_WORKGROUP_SIZE, elementwiseDispatch, lane, RowLayout} from './row_layout';

export class LayerNormNormalizeProgram implements WebGPUProgram {
  variableNames = ['x', 'gamma', 'beta', 'rowStats'];
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
    this.variableComponents = [c, c, c, 4];
    this.outputComponent = c;
    this.outputShape = [layout.outerSize * layout.rowLength];
    this.dispatch = elementwiseDispatch(layout.outerSize * layout.rowUnits);
    this.uniforms = layout.uniformDeclaration;
    this.shaderKey = `layerNormNormalize_${layout.shaderKey}`;
  }

  getUserCode(): string {
    const {layout} = this;
    return `
      ${layout.helpers()}

      fn main(index : i32) {
        if (index < uniforms.size) {
          let position = rowAndColumn(index);
          let stats = rowStats[position.x];
          let xhat = (${layout.load('x', 'index')} - stats.${lane(RowStat.SHIFT)}
                      - stats.${lane(RowStat.SHIFTED_MEAN)}) * stats.${lane(RowStat.INV_STD)};
          result[index] = xhat * ${layout.load('gamma', 'position.y')}
                          + ${layout.load('beta', 'position.y')};
        }
      }
    `;
  }
}
