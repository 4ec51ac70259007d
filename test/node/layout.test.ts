import {columnOffsets, groupLayout, groupOffsets} from '../../src/layout';

/** Brute force: for every element of x, its group, column and gamma index. */
function bruteForce(shape: number[], axis: number[], featureAxes: number[]) {
  const size = shape.reduce((a, b) => a * b, 1);
  const entries: Array<{group: number, column: number, param: number, offset: number}> = [];
  for (let offset = 0; offset < size; offset++) {
    const index: number[] = [];
    let rest = offset;
    for (let i = shape.length - 1; i >= 0; i--) {
      index.unshift(rest % shape[i]);
      rest = Math.floor(rest / shape[i]);
    }
    const rowMajor = (axes: number[]) =>
        axes.reduce((acc, a) => acc * shape[a] + index[a], 0);
    const kept = shape.map((_, i) => i).filter(i => !axis.includes(i));
    entries.push({
      group: rowMajor(kept),
      column: rowMajor(axis),
      param: rowMajor(featureAxes),
      offset,
    });
  }
  return entries;
}

const CASES: Array<[number[], number[], number[]]> = [
  [[2, 3, 4], [2], [2]],
  [[2, 3, 4], [1, 2], [1, 2]],
  [[2, 3, 4], [1], [1]],
  [[2, 3, 4, 5], [0, 2], [0, 2]],
  [[2, 3, 4, 5], [1, 2, 3], [3]],
  [[2, 3, 4, 5], [3], [1, 3]],
  [[2, 3, 4, 5], [1, 3], [0]],
  [[2, 1, 3, 1, 4], [2, 3, 4], [4]],
  [[1, 1, 1], [1], [1]],
  [[5], [0], [0]],
  [[3, 5], [1], [0]],
  [[2, 1], [1], [1]],
  [[2, 1, 3], [1], [1, 2]],
  [[1, 4], [1], [1]],
  [[2, 3, 4, 5, 2, 3, 2], [1, 3, 5], [2, 3]],
];

describe('groupLayout', () => {
  test.each(CASES)('shape %j axis %j featureAxes %j: every element addressed as brute force does',
                   (shape, axis, featureAxes) => {
    const layout = groupLayout(shape, axis, featureAxes);
    const groups = groupOffsets(layout);
    const columns = columnOffsets(layout);
    const entries = bruteForce(shape, axis, featureAxes);
    expect(layout.groupCount * layout.groupLength).toBe(entries.length);
    expect(layout.dims.some(d => d.normalized)).toBe(true);
    expect(layout.paramSize).toBe(featureAxes.reduce((a, f) => a * shape[f], 1));
    for (const e of entries) {
      expect(groups.x[e.group] + columns.x[e.column]).toBe(e.offset);
      expect(groups.param[e.group] + columns.param[e.column]).toBe(e.param);
      const group = layout.dims.reduce(
          (acc, d) => acc + (Math.floor(e.offset / d.stride) % d.size) * d.groupStride, 0);
      expect(group).toBe(e.group);
    }
    const trailing = axis.every((a, i) => a === shape.length - axis.length + i);
    if (trailing) {
      expect(layout.contiguous).toBe(true);
    }
    if (layout.contiguous) {
      entries.forEach(e => expect(e.offset).toBe(e.group * layout.groupLength + e.column));
    }
    expect(layout.paramsPerColumn).toBe(entries.every(e => e.param === e.column));
  });

  test('merges adjacent axes of one kind and feature-ness; keeps runs apart otherwise', () => {
    expect(groupLayout([2, 3, 4, 5], [2, 3], [2, 3]).dims).toEqual([
      {size: 6, stride: 20, normalized: false, paramStride: 0, groupStride: 1},
      {size: 20, stride: 1, normalized: true, paramStride: 1, groupStride: 0},
    ]);
    expect(groupLayout([2, 3, 4, 5], [1, 2, 3], [3]).dims).toEqual([
      {size: 2, stride: 60, normalized: false, paramStride: 0, groupStride: 1},
      {size: 12, stride: 5, normalized: true, paramStride: 0, groupStride: 0},
      {size: 5, stride: 1, normalized: true, paramStride: 1, groupStride: 0},
    ]);
    expect(groupLayout([2, 3, 4], [1], [1]).dims).toEqual([
      {size: 2, stride: 12, normalized: false, paramStride: 0, groupStride: 4},
      {size: 3, stride: 4, normalized: true, paramStride: 1, groupStride: 0},
      {size: 4, stride: 1, normalized: false, paramStride: 0, groupStride: 1},
    ]);
  });

  test('size-1 axes drop out; an all-ones shape is one group of one', () => {
    const layout = groupLayout([1, 1, 1], [1], [1]);
    expect(layout).toMatchObject({groupCount: 1, groupLength: 1, contiguous: true, paramsPerColumn: true});
    expect(layout.dims).toHaveLength(1);
  });

  test('empty x: no groups', () => {
    const layout = groupLayout([0, 4], [1], [1]);
    expect(layout.groupCount).toBe(0);
    expect(groupOffsets(layout).x).toHaveLength(0);
  });
});
