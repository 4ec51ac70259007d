/**
 * Reduces a per-element term over the columns of each row (the normalized
 * group): output element `row * chunks + chunk` (flat_output.ts) summarises the term over
 * columns [chunk * chunkLength, (chunk + 1) * chunkLength) of that row.
 * With one chunk per row this is the whole statistic in a single program;
 * long rows are cut into chunks whose partials `CombinePartialsProgram`
 * then reduces, so no fragment loops over a whole long row.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {ElementLayout, elementIndexGlsl, readElement, rowShiftGlsl} from './element_layout';
import {flatOutputIndexGlsl, flatOutputShape} from './flat_output';
import {accumulatesSquares, Summary, summaryGlsl, summaryUniforms} from './summary';

/**
 * The terms reduced over a row, with x0 its shift (element_layout.ts),
 * m the row's shifted mean, invStd its saved 1 / std and g = dy * gamma:
 *   shiftedValue             x - x0          (mean: m)
 *   deviation                (x - x0) - m    (mean square: the variance)
 *   scaledGradient           g
 *   scaledGradientTimesXhat  g * xhat, xhat = ((x - x0) - m) * invStd
 */
export type RowTerm =
    'shiftedValue'|'deviation'|'scaledGradient'|'scaledGradientTimesXhat';

interface TermSource {
  /** Inputs read: x-shaped (viewShape), row-shaped or column-shaped. */
  inputs: string[];
  /** GLSL run once per row, before the loop over its columns. */
  rowSetup: string;
  /** GLSL expression of the term at the element in `row`, `column`. */
  value: string;
}

/** Input names of a term, in the order its program takes them. */
export function rowTermInputs(term: RowTerm): string[] {
  const inputs: Record<RowTerm, string[]> = {
    shiftedValue: ['x'],
    deviation: ['x', 'shiftedMean'],
    scaledGradient: ['dy', 'gamma'],
    scaledGradientTimesXhat: ['dy', 'gamma', 'x', 'shiftedMean', 'invStd'],
  };
  return inputs[term];
}

function termSource(term: RowTerm, layout: ElementLayout): TermSource {
  const x = readElement(layout, 'getX');
  const g = `${readElement(layout, 'getDy')} * getGamma(column)`;
  const centre = 'float shift = rowShift(row); float centre = getShiftedMean(row);';
  const inputs = rowTermInputs(term);
  switch (term) {
    case 'shiftedValue':
      return {inputs, rowSetup: 'float shift = rowShift(row);', value: `${x} - shift`};
    case 'deviation':
      return {inputs, rowSetup: centre, value: `(${x} - shift) - centre`};
    case 'scaledGradient':
      return {inputs, rowSetup: '', value: g};
    case 'scaledGradientTimesXhat':
      return {
        inputs,
        rowSetup: `${centre} float rowInvStd = getInvStd(row);`,
        value: `${g} * (((${x} - shift) - centre) * rowInvStd)`,
      };
    default:
      throw new Error(`unknown row term ${term as string}`);
  }
}

export class RowReduceProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms: GPGPUProgram['customUniforms'];

  /**
   * @param chunks Chunks per row; `chunks * chunkLength` covers the row.
   * @param summary What each output element holds (summary.ts).
   */
  constructor(
      layout: ElementLayout, term: RowTerm, chunks: number,
      chunkLength: number, summary: Summary) {
    const {outerSize, innerSize: rowLength} = layout.geometry;
    const source = termSource(term, layout);
    this.variableNames = source.inputs;
    const outputShape = flatOutputShape(outerSize * chunks);
    this.outputShape = outputShape;
    this.customUniforms = summaryUniforms(summary);
    const coversExactly = chunks * chunkLength === rowLength;
    const accumulate = accumulatesSquares(summary) ? 'term * term' : 'term';
    this.userCode = `
      ${layout.helpersGlsl}
      ${source.inputs.includes('x') ? rowShiftGlsl(layout) : ''}

      void main() {
        ${flatOutputIndexGlsl(outputShape)}
        int row = outIndex / ${chunks};
        int firstColumn = (outIndex - row * ${chunks}) * ${chunkLength};
        ${layout.isTrailing ? '' : 'int start = rowStart(row);'}
        ${source.rowSetup}
        float total = 0.0;
        for (int k = 0; k < ${chunkLength}; k++) {
          int column = firstColumn + k;
          ${coversExactly ? '' : `if (column >= ${rowLength}) break;`}
          ${elementIndexGlsl(layout, 'start', 'columnOffset(column)')}
          float term = ${source.value};
          total += ${accumulate};
        }
        float count = min(${chunkLength}.0, float(${rowLength} - firstColumn));
        setOutput(${summaryGlsl(summary, 'total', 'count')});
      }
    `;
  }
}
