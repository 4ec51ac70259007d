/**
 * One level of a multi-pass reduction: reduces the partial results of each
 * group (a row or a column) `fanIn` at a time. Input element
 * `group * partials + p` summarises the `span` elements
 * [p * span, (p + 1) * span) of a group of `groupSize` elements (the last
 * partial fewer); output element `group * outPartials + q` summarises
 * partials [q * fanIn, (q + 1) * fanIn).
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {flatOutputIndexGlsl, flatOutputShape} from './flat_output';
import {accumulatesSquares, Summary, summaryGlsl, summaryUniforms} from './summary';

export interface PartialsLayout {
  groups: number;
  /** Partials per group. */
  partials: number;
  /** Elements behind each partial (all but the last of a group). */
  span: number;
  /** Elements per group. */
  groupSize: number;
}

export class CombinePartialsProgram implements GPGPUProgram {
  variableNames = ['partials'];
  outputShape: number[];
  userCode: string;
  customUniforms: GPGPUProgram['customUniforms'];

  /**
   * @param input What the partials hold ('sum', 'mean' or 'rootMeanSquare').
   * @param output What to write (the same, or 'invStd' after root mean squares).
   */
  constructor(
      layout: PartialsLayout, fanIn: number, input: Summary, output: Summary) {
    const {groups, partials, span, groupSize} = layout;
    const outPartials = Math.ceil(partials / fanIn);
    const outputShape = flatOutputShape(groups * outPartials);
    this.outputShape = outputShape;
    this.customUniforms = summaryUniforms(output);
    // Means combine weighted by how many elements each partial stands for.
    const term = input === 'sum' ? 'value' :
        accumulatesSquares(input) ? 'weight * value * value' : 'weight * value';
    this.userCode = `
      void main() {
        ${flatOutputIndexGlsl(outputShape)}
        int group = outIndex / ${outPartials};
        int first = (outIndex - group * ${outPartials}) * ${fanIn};
        float total = 0.0;
        float count = 0.0;
        for (int k = 0; k < ${fanIn}; k++) {
          int partial = first + k;
          ${outPartials * fanIn === partials ? '' : `if (partial >= ${partials}) break;`}
          float value = getPartials(group * ${partials} + partial);
          float weight = min(${span}.0, ${groupSize}.0 - float(partial) * ${span}.0);
          total += ${term};
          count += weight;
        }
        setOutput(${summaryGlsl(output, 'total', 'count')});
      }
    `;
  }
}
