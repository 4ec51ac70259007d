/**
 * Programs with one output element per element of x (y and dx), from a
 * spec of what they read per row, per column and per element. Two variants:
 *
 *  - unpacked: one element per fragment, any layout;
 *  - packed (trailing axes, when WEBGL_PACK is on): the output is a packed
 *    [rows, columns] texture, each fragment writing a 2x2 block, so it
 *    reads the per-row values of 2 rows and the per-column values of 2
 *    columns for 4 elements and runs a quarter of the fragments (about half
 *    the time of the unpacked variant on SwiftShader).
 */
import * as tf from '@tensorflow/tfjs';
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {ElementLayout, elementOutputCoordsGlsl, readElement, rowShiftGlsl} from './element_layout';

/** GLSL pieces of an elementwise program. */
export interface ElementwiseSpec {
  variableNames: string[];
  /** Per-row values: field name -> GLSL expression of `row`. */
  rowValues: Record<string, string>;
  /** Per-column values: field name -> GLSL expression of `column`. */
  columnValues: Record<string, string>;
  /** Getters of x-shaped inputs, read per element: local name -> getter. */
  elementValues: Record<string, string>;
  /**
   * GLSL expression of the output from `r.<row field>`, `c.<column field>`
   * and the element locals.
   */
  result: string;
}

/**
 * Whether the packed variant may be used: trailing axes (2x2 blocks of
 * [rows, columns] are then blocks of x), WEBGL_PACK on, and the packed
 * [rows, columns] texture is laid out as one of x's shape, so it is handed
 * over with x's shape without a copy (TF.js's own rule for packed reshapes).
 */
export function usePackedOutput(layout: ElementLayout, xShape: number[]): boolean {
  return layout.isTrailing && tf.env().getBool('WEBGL_PACK') &&
      tf.webgl_util.isReshapeFree(layout.viewShape, xShape);
}

export class ElementwiseProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedOutput: boolean;

  constructor(layout: ElementLayout, spec: ElementwiseSpec, packedOutput: boolean) {
    if (packedOutput && !layout.isTrailing) {
      throw new Error('layerNorm (webgl): packed output needs trailing axes');
    }
    this.variableNames = spec.variableNames;
    this.outputShape = layout.viewShape;
    this.packedOutput = packedOutput;
    const [rows, columns] = layout.viewShape;
    // GLSL has no empty structs.
    const fields = (values: Record<string, string>) =>
        Object.keys(values).map(name => `float ${name};`).join(' ') || 'float unused;';
    const assignments = (target: string, values: Record<string, string>) =>
        Object.entries(values).map(([name, glsl]) => `${target}.${name} = ${glsl};`)
            .join('\n          ');
    const elementReads = Object.entries(spec.elementValues)
        .map(([name, getter]) => `float ${name} = ${readElement(layout, getter)};`)
        .join('\n          ');
    this.userCode = `
      ${layout.helpersGlsl}
      ${spec.variableNames.includes('x') ? rowShiftGlsl(layout) : ''}

      struct RowValues { ${fields(spec.rowValues)} };
      struct ColumnValues { ${fields(spec.columnValues)} };

      RowValues rowValues(int row) {
        RowValues r;
        ${assignments('r', spec.rowValues)}
        return r;
      }

      ColumnValues columnValues(int column) {
        ColumnValues c;
        ${assignments('c', spec.columnValues)}
        return c;
      }

      // index: the flat element index (strided layout only).
      float result(RowValues r, ColumnValues c, int row, int column, int index) {
        ${elementReads}
        return ${spec.result};
      }

      void main() {
        ${packedOutput ? packedMain(rows, columns) : unpackedMain(layout)}
      }
    `;
  }
}

function unpackedMain(layout: ElementLayout): string {
  return `
        ${elementOutputCoordsGlsl(layout)}
        setOutput(result(rowValues(row), columnValues(column), row, column,
                         ${layout.isTrailing ? '0' : 'index'}));`;
}

/** The 2x2 block at (row, column), clipped at the last row and column. */
function packedMain(rows: number, columns: number): string {
  return `
        ivec2 rowAndColumn = getOutputCoords();
        int row = rowAndColumn.x;
        int column = rowAndColumn.y;
        bool hasNextRow = row + 1 < ${rows};
        bool hasNextColumn = column + 1 < ${columns};
        RowValues r0 = rowValues(row);
        ColumnValues c0 = columnValues(column);
        ColumnValues c1 = c0;
        if (hasNextColumn) {
          c1 = columnValues(column + 1);
        }
        vec4 block = vec4(0.0);
        block.x = result(r0, c0, row, column, 0);
        if (hasNextColumn) {
          block.y = result(r0, c1, row, column + 1, 0);
        }
        if (hasNextRow) {
          RowValues r1 = rowValues(row + 1);
          block.z = result(r1, c0, row + 1, column, 0);
          if (hasNextColumn) {
            block.w = result(r1, c1, row + 1, column + 1, 0);
          }
        }
        setOutput(block);`;
}

/**
 * The forward output, fused: y = ((x - x0) - m) * invStd * gamma + beta,
 * with x0 the row's shift and m its shifted mean (the row's mean is x0 + m;
 * subtracting the two parts separately keeps the precision that the rounded
 * f32 mean would lose on rows far from zero).
 */
export function normalizeProgram(layout: ElementLayout, packedOutput: boolean): ElementwiseProgram {
  return new ElementwiseProgram(layout, {
    variableNames: ['x', 'shiftedMean', 'invStd', 'gamma', 'beta'],
    rowValues: {shift: 'rowShift(row)', centre: 'getShiftedMean(row)', invStd: 'getInvStd(row)'},
    columnValues: {gamma: 'getGamma(column)', beta: 'getBeta(column)'},
    elementValues: {x: 'getX'},
    result: '((x - r.shift) - r.centre) * r.invStd * c.gamma + c.beta',
  }, packedOutput);
}

/**
 * dx, fused: dx = invStd * dy * gamma - (x - x0) * xhatScale + offset, with
 * the per-row coefficients of grad_coefficients_gpu.ts.
 */
export function inputGradProgram(layout: ElementLayout, packedOutput: boolean): ElementwiseProgram {
  return new ElementwiseProgram(layout, {
    variableNames: ['dy', 'gamma', 'x', 'invStd', 'xhatScale', 'offset'],
    rowValues: {
      shift: 'rowShift(row)',
      invStd: 'getInvStd(row)',
      xhatScale: 'getXhatScale(row)',
      offset: 'getOffset(row)',
    },
    columnValues: {gamma: 'getGamma(column)'},
    elementValues: {dy: 'getDy', x: 'getX'},
    result: 'r.invStd * dy * c.gamma - (x - r.shift) * r.xhatScale + r.offset',
  }, packedOutput);
}
