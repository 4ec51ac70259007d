/**
 * How the programs address x-shaped tensors (x, dy, y, dx) by row and
 * column, generated from a `LayerNormGeometry`. Rows are numbered row-major
 * over the kept axes (the order of mean and invStd), columns row-major over
 * the normalized axes (the order of gamma and beta).
 *
 *  - Trailing normalized axes: x-shaped tensors are viewed as 2-D
 *    [rows, columns] and read as getX(row, column). When the texture has
 *    that shape (TF.js lays out [..., C] tensors as [size / C, C] when it
 *    fits) TF.js samples it without integer division, which on GPUs
 *    emulated in software (SwiftShader) halves the cost of a read.
 *  - Any other axes: x-shaped tensors are viewed flat and read as
 *    getX(index), index = rowStart(row) + columnOffset(column), by index
 *    arithmetic rather than transposes.
 *
 * Sizes and strides are baked into the source: they are part of the shader
 * key anyway, and WebGL1 loops need constant bounds.
 */
import {LayerNormGeometry} from '../../layer_norm_util';

type MergedDim = LayerNormGeometry['dims'][number];

export interface ElementLayout {
  geometry: LayerNormGeometry;
  isTrailing: boolean;
  /** Shape of the views of x-shaped inputs and of x-shaped outputs. */
  viewShape: number[];
  /**
   * GLSL functions of the strided layout: int rowStart(int row),
   * int columnOffset(int column), ivec2 rowAndColumnOf(int index).
   */
  helpersGlsl: string;
}

export function elementLayout(geometry: LayerNormGeometry): ElementLayout {
  const {outerSize, innerSize, isTrailing, dims} = geometry;
  if (isTrailing) {
    return {geometry, isTrailing, viewShape: [outerSize, innerSize], helpersGlsl: ''};
  }
  const kept = dims.filter(d => !d.normalized);
  const normalized = dims.filter(d => d.normalized);
  return {
    geometry,
    isTrailing,
    viewShape: [outerSize * innerSize],
    helpersGlsl: `
      int rowStart(int row) {
        ${offsetOfIndexBody('row', kept)}
      }

      int columnOffset(int column) {
        ${offsetOfIndexBody('column', normalized)}
      }

      ivec2 rowAndColumnOf(int index) {
        ${rowAndColumnBody(dims)}
      }
    `,
  };
}

/**
 * GLSL expression reading an x-shaped input at the element in hand: `row`
 * and `column` when trailing, otherwise `index` (which the strided code
 * defines, see elementIndexGlsl).
 */
export function readElement(layout: ElementLayout, getter: string): string {
  return layout.isTrailing ? `${getter}(row, column)` : `${getter}(index)`;
}

/**
 * GLSL statement defining `index` for the strided layout from an
 * expression of the row's first element and one of the column's offset
 * (nothing when trailing).
 */
export function elementIndexGlsl(
    layout: ElementLayout, rowStart: string, columnOffset: string): string {
  return layout.isTrailing ? '' : `int index = ${rowStart} + ${columnOffset};`;
}

/**
 * GLSL statements of an elementwise program (outputShape = viewShape)
 * defining `row` and `column` of its output element (and `index`).
 */
export function elementOutputCoordsGlsl(layout: ElementLayout): string {
  return layout.isTrailing ? `
        ivec2 rowAndColumn = getOutputCoords();
        int row = rowAndColumn.x;
        int column = rowAndColumn.y;` : `
        int index = getOutputCoords();
        ivec2 rowAndColumn = rowAndColumnOf(index);
        int row = rowAndColumn.x;
        int column = rowAndColumn.y;`;
}

/**
 * GLSL function `float rowShift(int row)`: the shift of every statistic,
 * x0, the row's first element. Each row is reduced as x - x0, which is exact
 * for floats within a factor of two of each other, so a row of mean 1e4 and
 * spread 1 is summed as values of size ~1 (its f32 mean alone would carry an
 * error of ~5e-4), and the sums stay far from the f16 range when textures
 * hold half floats. A non-finite x0 would turn every x - x0 into NaN; such a
 * row is left unshifted, so an Infinity still gives an infinite mean.
 */
export function rowShiftGlsl(layout: ElementLayout): string {
  const first = layout.isTrailing ? 'getX(row, 0)' : 'getX(rowStart(row))';
  return `
    float rowShift(int row) {
      float first = ${first};
      return (isnan(first) || isinf(first)) ? 0.0 : first;
    }
  `;
}

/**
 * Body of a function mapping a row-major index over `dims` to its offset
 * in x: peels coordinates off from the innermost dim outwards.
 */
function offsetOfIndexBody(index: string, dims: MergedDim[]): string {
  if (dims.length === 0) {
    return 'return 0;';
  }
  if (dims.length === 1) {
    return `return ${index} * ${dims[0].stride};`;
  }
  const lines = [`int rest = ${index};`, 'int offset = 0;', 'int quotient;'];
  for (let d = dims.length - 1; d > 0; d--) {
    const {size, stride} = dims[d];
    lines.push(`quotient = rest / ${size};`);
    lines.push(`offset += (rest - quotient * ${size}) * ${stride};`);
    lines.push('rest = quotient;');
  }
  lines.push(`return offset + rest * ${dims[0].stride};`);
  return lines.join('\n        ');
}

/**
 * Body of `rowAndColumnOf`: the coordinate along each merged dim (outermost
 * first) joins the row index or the column index, row-major.
 */
function rowAndColumnBody(dims: MergedDim[]): string {
  const lines = ['int rest = index;', 'int row = 0;', 'int column = 0;', 'int coord;'];
  for (const {size, stride, normalized} of dims) {
    const target = normalized ? 'column' : 'row';
    if (stride === 1) {
      lines.push('coord = rest;');
    } else {
      lines.push(`coord = rest / ${stride};`);
      lines.push(`rest -= coord * ${stride};`);
    }
    lines.push(`${target} = ${target} * ${size} + coord;`);
  }
  lines.push('return ivec2(row, column);');
  return lines.join('\n        ');
}
