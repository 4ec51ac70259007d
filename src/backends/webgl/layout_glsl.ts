/**
 * Prints a GroupLayout (src/layout.ts) into GLSL with its sizes baked in
 * (they are in the shader key anyway, and WebGL1 loops need constant
 * bounds). Positions are ivec3(x offset, gamma offset, group), decoded from
 * an index by groupPosition, columnPosition, elementPosition, paramPosition
 * and reducePosition (see the webgpu printer for their meaning).
 *
 * Contiguous groups with one gamma entry per column view x-shaped tensors as
 * 2-D [groups, columns] and read them as getX(group, column): when the
 * texture has that shape TF.js samples it without integer division, which
 * halves the cost of a read on SwiftShader. Other layouts read getX(offset).
 */
import type {GroupLayout, LayoutDim} from '../../layout';

export class GlslLayout {
  readonly groupCount: number;
  readonly groupLength: number;
  readonly paramSize: number;
  /** Elements sharing one gamma entry. */
  readonly reduceLength: number;
  /** Groups are [groups, columns] slices of x with gamma indexed by column. */
  readonly simple: boolean;
  /** Shape of the views of x-shaped inputs and outputs. */
  readonly viewShape: number[];
  private readonly dims: LayoutDim[];

  constructor(layout: GroupLayout) {
    const {groupCount, groupLength, paramSize} = layout;
    this.groupCount = groupCount;
    this.groupLength = groupLength;
    this.paramSize = paramSize;
    this.reduceLength = groupCount * groupLength / paramSize;
    this.simple = layout.contiguous && layout.paramsPerColumn;
    this.viewShape = this.simple ? [groupCount, groupLength] : [groupCount * groupLength];
    this.dims = layout.dims;
  }

  /** GLSL reading an x-shaped input at `position`. */
  read(getter: string, position = 'position'): string {
    return this.simple ? `${getter}(${position}.z, ${position}.y)` : `${getter}(${position}.x)`;
  }

  /**
   * GLSL of the position of `item` in `segment`. The simple layout needs
   * only (group, column), written out: SwiftShader's JIT folds little.
   */
  position(segmentPosition: string, itemPosition: string): string {
    if (!this.simple) {
      return `${segmentPosition}(segment) + ${itemPosition}(item)`;
    }
    return segmentPosition === 'groupPosition' ? 'ivec3(0, item, segment)' : 'ivec3(0, segment, item)';
  }

  /** The position functions, and groupShift when x is an input. */
  helpers(readsX: boolean): string {
    const length = this.groupLength;
    const functions = this.simple ? `
      ivec3 groupPosition(int group) { return ivec3(group * ${length}, 0, group); }
      ivec3 columnPosition(int column) { return ivec3(column, column, 0); }
      ivec3 elementPosition(int index) {
        int group = index / ${length};
        return ivec3(index, index - group * ${length}, group);
      }
      ivec3 paramPosition(int param) { return ivec3(param, param, 0); }
      ivec3 reducePosition(int item) { return ivec3(item * ${length}, 0, item); }
    ` : [
      this.decoder('groupPosition', d => !d.normalized),
      this.decoder('columnPosition', d => d.normalized),
      this.decoder('elementPosition', () => true),
      this.decoder('paramPosition', d => d.paramStride !== 0),
      this.decoder('reducePosition', d => d.paramStride === 0),
    ].join('\n');
    // Statistics are of x - shift, the group's first element: exact for
    // nearby values, so a large mean costs no precision (0 if not finite).
    return functions + (readsX ? `
      float groupShift(int group) {
        float first = ${this.simple ? 'getX(group, 0)' : 'getX(groupPosition(group).x)'};
        return (isnan(first) || isinf(first)) ? 0.0 : first;
      }
    ` : '');
  }

  /** Row-major decoding of an index over the dims `keep` selects. */
  private decoder(name: string, keep: (d: LayoutDim) => boolean): string {
    const walked = this.dims.filter(keep).reverse();
    const step = (d: LayoutDim) =>
        `ivec3(${d.stride}, ${d.paramStride}, ${d.groupStride})`;
    const lines = walked.map((d, i) => i === walked.length - 1 ?
        `position += rest * ${step(d)};` :
        `quotient = rest / ${d.size}; position += (rest - quotient * ${d.size}) * ${step(d)}; rest = quotient;`);
    return `
      ivec3 ${name}(int index) {
        int rest = index;
        int quotient;
        ivec3 position = ivec3(0);
        ${lines.join('\n        ')}
        return position;
      }`;
  }
}
