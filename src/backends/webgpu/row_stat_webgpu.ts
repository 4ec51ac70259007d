/**
 * Copies one lane of a per-row vec4 into its own tensor: how the forward
 * kernel turns the statistics program's single output into the separate
 * mean and invStd outputs (a TF.js webgpu program has one output buffer).
 */
import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {ELEMENTWISE_WORKGROUP_SIZE, elementwiseDispatch, lane} from './row_layout';

export class RowStatProgram implements WebGPUProgram {
  variableNames = ['rowStats'];
  variableComponents = [4];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
  size = true;
  private readonly lane: number;

  constructor(rows: number, statLane: number) {
    this.lane = statLane;
    this.outputShape = [rows];
    this.dispatch = elementwiseDispatch(rows);
    this.shaderKey = `layerNormRowStat_${lane(statLane)}`;
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          result[index] = rowStats[index].${lane(this.lane)};
        }
      }
    `;
  }
}
