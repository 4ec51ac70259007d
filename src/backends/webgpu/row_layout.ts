/**
 * How the webgpu programs find the rows of x, for any choice of axes.
 *
 * Every program sees its tensors as flat arrays (TF.js's generated helpers
 * only go up to rank 6; a flat view has no rank limit) and addresses them
 * through three WGSL helpers built here:
 *
 *   rowStart(row)        offset of the first element of a row
 *   columnOffset(column) offset of element `column` of a row from its start
 *   rowAndColumn(index)  the row and column of the element at flat `index`
 *
 * Trailing axes (rows are contiguous slices) take the fast path: one multiply
 * per row, and when the row length is a multiple of 4 every row-shaped tensor
 * (x, y, dy, dx, gamma, beta) is read and written as vec4<f32>.
 *
 * Any other layout (NCHW's channel axis, axes [0, 2], ...) is indexed with
 * strides, never transposed: `layerNormGeometry` merges the axes into
 * alternating kept / normalized runs, whose sizes and strides go in uniforms
 * while their pattern (e.g. "KNK" for NCHW axis 1) goes in the shader key.
 */
import type {LayerNormGeometry} from '../../layer_norm_util';

/** Uniform values in the form `WebGPUBackend.runWebGPUProgram` takes. */
export type ProgramUniforms = Array<{type: string, data: number[]}>;

/** Elements per vector on the vectorized path. */
export const VEC4_WIDTH = 4;

/** Floats per row of the per-row vec4 outputs (RowStat, GradRowCoefficient). */
export const PER_ROW_VEC4_FLOATS = 4;

export class RowLayout {
  /** Number of rows (normalized groups). */
  readonly outerSize: number;
  /** Elements per row. */
  readonly rowLength: number;
  /** 4 on the vectorized path, else 1: elements per addressed unit. */
  readonly components: 1|4;
  /** Addressed units per row: rowLength / components. */
  readonly rowUnits: number;
  /** WGSL type of one unit of a row-shaped tensor: f32 or vec4<f32>. */
  readonly unitType: string;
  /** Identifies the WGSL of `helpers()`; part of every program's shaderKey. */
  readonly shaderKey: string;
  /** Fields for a program's `uniforms` string (order matches uniformData). */
  readonly uniformDeclaration: string;
  readonly uniformData: ProgramUniforms;

  private readonly geometry: LayerNormGeometry;

  constructor(geometry: LayerNormGeometry) {
    this.geometry = geometry;
    this.outerSize = geometry.outerSize;
    this.rowLength = geometry.innerSize;
    this.components =
        geometry.isTrailing && geometry.innerSize % VEC4_WIDTH === 0 ? 4 : 1;
    this.rowUnits = this.rowLength / this.components;
    this.unitType = this.components === 4 ? 'vec4<f32>' : 'f32';

    const fields: Array<[string, number]> = [
      ['outerSize', this.outerSize],
      ['rowLength', this.rowLength],
      ['rowUnits', this.rowUnits],
    ];
    if (geometry.isTrailing) {
      this.shaderKey = `rows_vec${this.components}`;
    } else {
      const pattern =
          geometry.dims.map(d => d.normalized ? 'N' : 'K').join('');
      this.shaderKey = `strided_${pattern}`;
      geometry.dims.forEach((d, k) => {
        fields.push([`dim${k}Size`, d.size], [`dim${k}Stride`, d.stride]);
      });
    }
    this.uniformDeclaration =
        fields.map(([name]) => `${name} : i32,`).join(' ');
    this.uniformData = fields.map(([, value]) => ({type: 'int32', data: [value]}));
  }

  /** True when every row-shaped tensor is addressed as vec4<f32>. */
  get isVec4(): boolean {
    return this.components === 4;
  }

  /** WGSL expression converting one stored unit of a row-shaped input to f32s. */
  load(buffer: string, offset: string): string {
    return `${this.unitType}(${buffer}[${offset}])`;
  }

  /** Sum of the lanes of a unit (identity for scalars). */
  horizontalSum(value: string): string {
    return this.isVec4 ? `dot(${value}, vec4<f32>(1.0))` : value;
  }

  /**
   * WGSL of `fn rowShift(row : i32) -> f32`: what the row programs subtract
   * from every element of a row of x before summing. The row's first element:
   * the difference is exact for the row's nearby values, so a large mean costs
   * no precision and a constant row gives exactly zero. A non-finite first
   * element would make every difference NaN (Infinity - Infinity), where the
   * unshifted sums give the right Infinity mean, so it is replaced by 0.
   */
  rowShiftSnippet(): string {
    return `
      fn isFiniteF32(value : f32) -> bool {
        let exponentBits = 0x7f800000u;
        return (bitcast<u32>(value) & exponentBits) != exponentBits;
      }
      fn rowShift(row : i32) -> f32 {
        let first = f32(x[rowStart(row)]${this.isVec4 ? '.x' : ''});
        return select(0.0, first, isFiniteF32(first));
      }
    `;
  }

  /** WGSL of rowStart, columnOffset and rowAndColumn (in units). */
  helpers(): string {
    return this.geometry.isTrailing ? this.contiguousHelpers() :
                                      this.stridedHelpers();
  }

  private contiguousHelpers(): string {
    return `
      // Rows are contiguous: row r is the slice [r * rowUnits, (r + 1) * rowUnits).
      fn rowStart(row : i32) -> i32 {
        return row * uniforms.rowUnits;
      }
      fn columnOffset(column : i32) -> i32 {
        return column;
      }
      fn rowAndColumn(index : i32) -> vec2<i32> {
        let row = index / uniforms.rowUnits;
        return vec2<i32>(row, index - row * uniforms.rowUnits);
      }
    `;
  }

  /**
   * Decodes a row number over the kept runs and a column number over the
   * normalized runs (row-major, innermost run fastest), each run adding
   * coordinate * stride to the offset. The outermost run of each kind takes
   * what is left, so it needs no modulo.
   */
  private stridedHelpers(): string {
    const dims = this.geometry.dims.map((d, k) => ({...d, k}));
    const decode = (normalized: boolean, value: string) => {
      const runs = dims.filter(d => d.normalized === normalized);
      const lines = [`var rest = ${value};`, 'var offset = 0;'];
      for (let i = runs.length - 1; i > 0; i--) {
        const {k} = runs[i];
        lines.push(
            `offset = offset + (rest % uniforms.dim${k}Size) * uniforms.dim${k}Stride;`,
            `rest = rest / uniforms.dim${k}Size;`);
      }
      lines.push(`offset = offset + rest * uniforms.dim${runs[0].k}Stride;`);
      lines.push('return offset;');
      return lines.join('\n        ');
    };
    // A flat index decodes over all runs, innermost first: each coordinate
    // adds to the row (kept run) or to the column (normalized run).
    const splitLines = ['var rest = index;', 'var row = 0;', 'var column = 0;'];
    let rowScale = '1', columnScale = '1';
    for (let i = dims.length - 1; i >= 0; i--) {
      const {k, normalized} = dims[i];
      const coordinate = i > 0 ? `(rest % uniforms.dim${k}Size)` : 'rest';
      if (normalized) {
        splitLines.push(`column = column + ${coordinate} * ${columnScale};`);
        columnScale = `${columnScale} * uniforms.dim${k}Size`;
      } else {
        splitLines.push(`row = row + ${coordinate} * ${rowScale};`);
        rowScale = `${rowScale} * uniforms.dim${k}Size`;
      }
      if (i > 0) {
        splitLines.push(`rest = rest / uniforms.dim${k}Size;`);
      }
    }
    splitLines.push('return vec2<i32>(row, column);');
    return `
      // Rows are strided: offsets come from the merged runs' sizes and strides.
      fn rowStart(row : i32) -> i32 {
        ${decode(false, 'row')}
      }
      fn columnOffset(column : i32) -> i32 {
        ${decode(true, 'column')}
      }
      fn rowAndColumn(index : i32) -> vec2<i32> {
        ${splitLines.join('\n        ')}
      }
    `;
  }
}

/**
 * WGSL of `fn NAME(value : TYPE) -> TYPE`: the sum of `value` over the
 * workgroup, returned to every invocation (a shared-memory tree; the size
 * must be a power of two). Call it from uniform control flow only.
 */
export function workgroupSumSnippet(
    name: string, type: string, workgroupSize: number): string {
  const shared = `${name}Partials`;
  return `
    var<workgroup> ${shared} : array<${type}, ${workgroupSize}>;

    fn ${name}(value : ${type}) -> ${type} {
      ${shared}[localIndex] = value;
      workgroupBarrier();
      for (var half = ${Math.floor(workgroupSize / 2)}u; half > 0u; half = half / 2u) {
        if (localIndex < half) {
          ${shared}[localIndex] = ${shared}[localIndex] + ${shared}[localIndex + half];
        }
        workgroupBarrier();
      }
      let total = ${shared}[0];
      // Every invocation reads the total before anyone reuses the array.
      workgroupBarrier();
      return total;
    }
  `;
}

/** WGSL swizzle of lane `i` of a vec4. */
export function lane(i: number): string {
  return 'xyzw'[i];
}

/** Invocations per workgroup of the element-wise programs. */
export const ELEMENTWISE_WORKGROUP_SIZE = 64;

/** Dispatch of an element-wise program over `count` invocations. */
export function elementwiseDispatch(count: number): [number, number, number] {
  return [Math.ceil(count / ELEMENTWISE_WORKGROUP_SIZE), 1, 1];
}
