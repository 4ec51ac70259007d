/**
 * Prints a GroupLayout (src/layout.ts) into WGSL. Every program addresses
 * flat buffers through positions vec3<i32>(x offset, gamma offset, group),
 * decoded from an index by these functions:
 *   groupPosition(group)     first element of a group
 *   columnPosition(column)   element `column` of a group, relative to its start
 *   elementPosition(index)   the element at flat index `index` of x
 *   paramPosition(param)     first element sharing gamma entry `param`
 *   reducePosition(item)     item-th element sharing a gamma entry, relative
 * Sizes and strides are uniforms; which dims each function walks is in the
 * shader key. Contiguous groups with one gamma entry per column are addressed
 * in vec4 units when the group length allows.
 */
import type {GroupLayout, LayoutDim} from '../../layout';

export type ProgramUniforms = Array<{type: string, data: number[]}>;

const VEC4_WIDTH = 4;

export class WgslLayout {
  readonly groupCount: number;
  readonly groupLength: number;
  readonly paramSize: number;
  /** Elements sharing one gamma entry. */
  readonly reduceLength: number;
  /** groupPosition(group).y is 0 for every group (no kept axis is a feature axis). */
  readonly groupsShareParams: boolean;
  /** 4 on the vectorized path, else 1: elements per addressed unit. */
  readonly components: 1|4;
  readonly groupUnits: number;
  readonly paramUnits: number;
  readonly unitType: string;
  readonly shaderKey: string;
  readonly uniformDeclaration: string;
  readonly uniformData: ProgramUniforms;
  private readonly dims: LayoutDim[]|null;

  constructor(layout: GroupLayout) {
    this.groupCount = layout.groupCount;
    this.groupLength = layout.groupLength;
    this.paramSize = layout.paramSize;
    this.reduceLength = layout.groupCount * layout.groupLength / layout.paramSize;
    const simple = layout.contiguous && layout.paramsPerColumn;
    this.groupsShareParams = layout.dims.every(d => d.normalized || d.paramStride === 0);
    this.components = simple && layout.groupLength % VEC4_WIDTH === 0 ? 4 : 1;
    this.groupUnits = this.groupLength / this.components;
    this.paramUnits = this.paramSize / this.components;
    this.unitType = this.components === 4 ? 'vec4<f32>' : 'f32';
    const fields: Array<[string, string, number[]]> = [
      ['groupCount', 'i32', [this.groupCount]], ['groupLength', 'i32', [this.groupLength]],
      ['groupUnits', 'i32', [this.groupUnits]], ['paramUnits', 'i32', [this.paramUnits]],
      ['reduceLength', 'i32', [this.reduceLength]],
    ];
    if (simple) {
      this.dims = null;
      this.shaderKey = `groups_vec${this.components}`;
    } else {
      this.dims = layout.dims;
      this.shaderKey = 'strided_' +
          this.dims.map(d => (d.normalized ? 'N' : 'K') + (d.paramStride ? 'F' : '')).join('_');
      this.dims.forEach((d, k) => fields.push(
          [`dim${k}`, 'vec4<i32>', [d.size, d.stride, d.paramStride, d.groupStride]]));
    }
    this.uniformDeclaration = fields.map(([name, type]) => `${name} : ${type},`).join(' ');
    this.uniformData = fields.map(([, , data]) => ({type: 'int32', data}));
  }

  /** The stored unit type of an input: int32 buffers hold i32 units (converted on load). */
  storedUnitType(int32: boolean): string {
    return int32 ? this.unitType.replace('f32', 'i32') : this.unitType;
  }

  /** WGSL converting one stored unit of an x- or gamma-shaped input to f32s. */
  load(buffer: string, offset: string): string {
    return `${this.unitType}(${buffer}[${offset}])`;
  }

  /** Sum of the lanes of a unit (identity for scalars). */
  horizontalSum(value: string): string {
    return this.components === 4 ? `dot(${value}, vec4<f32>(1.0))` : value;
  }

  /** WGSL of the five position functions and groupShift. */
  helpers(): string {
    return `${this.dims == null ? this.simpleHelpers() : this.stridedHelpers(this.dims)}
      fn isFiniteF32(value : f32) -> bool {
        return (bitcast<u32>(value) & 0x7f800000u) != 0x7f800000u;
      }
      // Statistics are of x - shift, the group's first element: exact for
      // nearby values, so a large mean costs no precision (0 if not finite).
      fn groupShift(group : i32) -> f32 {
        let first = f32(x[groupPosition(group).x]${this.components === 4 ? '.x' : ''});
        return select(0.0, first, isFiniteF32(first));
      }
    `;
  }

  private simpleHelpers(): string {
    return `
      fn groupPosition(group : i32) -> vec3<i32> {
        return vec3<i32>(group * uniforms.groupUnits, 0, group);
      }
      fn columnPosition(column : i32) -> vec3<i32> {
        return vec3<i32>(column, column, 0);
      }
      fn elementPosition(index : i32) -> vec3<i32> {
        let group = index / uniforms.groupUnits;
        return vec3<i32>(index, index - group * uniforms.groupUnits, group);
      }
      fn paramPosition(param : i32) -> vec3<i32> {
        return vec3<i32>(param, param, 0);
      }
      fn reducePosition(item : i32) -> vec3<i32> {
        return vec3<i32>(item * uniforms.groupUnits, 0, item);
      }
    `;
  }

  private stridedHelpers(dims: LayoutDim[]): string {
    const decoder = (name: string, argument: string, keep: (d: LayoutDim) => boolean) => {
      const walked = dims.map((d, k) => ({d, k})).filter(({d}) => keep(d)).reverse();
      const lines = walked.map(({k}, i) => i === walked.length - 1 ?
          `position = position + rest * uniforms.dim${k}.yzw;` :
          `position = position + (rest % uniforms.dim${k}.x) * uniforms.dim${k}.yzw;
        rest = rest / uniforms.dim${k}.x;`);
      return `
      fn ${name}(${argument} : i32) -> vec3<i32> {
        var rest = ${argument};
        var position = vec3<i32>(0);
        ${lines.join('\n        ')}
        return position;
      }`;
    };
    return [
      decoder('groupPosition', 'group', d => !d.normalized),
      decoder('columnPosition', 'column', d => d.normalized),
      decoder('elementPosition', 'index', () => true),
      decoder('paramPosition', 'param', d => d.paramStride !== 0),
      decoder('reducePosition', 'item', d => d.paramStride === 0),
    ].join('\n');
  }
}

/**
 * WGSL of `fn NAME(value : TYPE) -> TYPE`: the sum of `value` over the
 * workgroup (a power of two), returned to every invocation. Call it from
 * uniform control flow only.
 */
export function workgroupSumSnippet(name: string, type: string, workgroupSize: number): string {
  if (workgroupSize === 1) {
    return `fn ${name}(value : ${type}) -> ${type} { return value; }`;
  }
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
      workgroupBarrier();  // everyone reads the total before the array is reused
      return total;
    }
  `;
}

/** WGSL swizzle of lane `i` of a vec4. */
export function lane(i: number): string {
  return 'xyzw'[i];
}

export const ELEMENTWISE_WORKGROUP_SIZE = 64;

export function elementwiseDispatch(count: number): [number, number, number] {
  return [Math.ceil(count / ELEMENTWISE_WORKGROUP_SIZE), 1, 1];
}
