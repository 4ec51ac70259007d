/**
 * GLSL functions that locate elements of x by index arithmetic, generated
 * from a `LayerNormGeometry`: every program here reads its x-shaped inputs
 * as flat (row-major) 1-D textures, so any set of normalized axes is served
 * without transposing.
 *
 *   int rowStart(int row)          flat index of the first element of a row
 *   int columnOffset(int column)   offset of element `column` within its row
 *   ivec2 rowAndColumnOf(int index)  (row, column) of a flat index
 *
 * Rows are numbered row-major over the kept axes (the order of mean and
 * invStd), columns row-major over the normalized axes (the order of gamma).
 * Sizes and strides are baked into the source: they are part of the
 * shader key anyway, and WebGL1 loops need constant bounds.
 */
import {LayerNormGeometry} from '../../layer_norm_util';

type MergedDim = LayerNormGeometry['dims'][number];

export function addressingGlsl(geometry: LayerNormGeometry): string {
  const kept = geometry.dims.filter(d => !d.normalized);
  const normalized = geometry.dims.filter(d => d.normalized);
  return `
    int rowStart(int row) {
      ${offsetOfIndexBody('row', kept)}
    }

    int columnOffset(int column) {
      ${offsetOfIndexBody('column', normalized)}
    }

    ivec2 rowAndColumnOf(int index) {
      ${rowAndColumnBody(geometry.dims)}
    }
  `;
}

/**
 * Body of a function mapping a row-major index over `dims` to its offset
 * in x: peel coordinates off from the innermost dim outwards.
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
  return lines.join('\n      ');
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
  return lines.join('\n      ');
}
