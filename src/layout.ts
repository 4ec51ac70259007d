/**
 * How x splits into normalized groups and where gamma/beta sit: computed
 * once per kernel call and read by every backend. Groups are numbered
 * row-major over the kept axes (the element order of mean and invStd);
 * columns (elements of a group) row-major over the normalized axes.
 */

export interface LayoutDim {
  /** Merged run of adjacent axes of the same kind. */
  size: number;
  /** Element stride in x of this run's innermost axis. */
  stride: number;
  /** Part of the statistics group. */
  normalized: boolean;
  /** Stride into gamma/beta (0 when the run is not a feature axis). */
  paramStride: number;
  /** Stride in group numbers (0 for normalized runs). */
  groupStride: number;
}

export interface GroupLayout {
  /** Number of normalized groups (product of the kept axes). */
  groupCount: number;
  /** Elements per group (product of the normalized axes). */
  groupLength: number;
  /** The normalized axes are the trailing ones: groups are contiguous slices. */
  contiguous: boolean;
  /** gamma index == column index (featureAxes == axis). */
  paramsPerColumn: boolean;
  /** Elements of gamma/beta. */
  paramSize: number;
  /** Outermost first; size-1 axes dropped; at least one normalized run. */
  dims: LayoutDim[];
}

export function groupLayout(
    xShape: readonly number[], axis: readonly number[],
    featureAxes: readonly number[]): GroupLayout {
  const dims: LayoutDim[] = [];
  let stride = 1, paramStride = 1;
  for (let i = xShape.length - 1; i >= 0; i--) {
    const size = xShape[i];
    const normalized = axis.includes(i);
    const feature = featureAxes.includes(i);
    if (size !== 1) {
      const inner = dims[0];
      if (inner != null && inner.normalized === normalized &&
          (inner.paramStride !== 0) === feature) {
        inner.size *= size;
      } else {
        dims.unshift({size, stride, normalized, paramStride: feature ? paramStride : 0, groupStride: 0});
      }
    }
    stride *= size;
    if (feature) {
      paramStride *= size;
    }
  }
  if (!dims.some(d => d.normalized)) {
    dims.push({size: 1, stride: 1, normalized: true, paramStride: 0, groupStride: 0});  // groups of one
  }
  let groupCount = 1, groupLength = 1;
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k];
    if (d.normalized) {
      groupLength *= d.size;
    } else {
      d.groupStride = groupCount;
      groupCount *= d.size;
    }
  }
  const firstNormalized = dims.findIndex(d => d.normalized);
  const contiguous = dims.slice(firstNormalized).every(d => d.normalized);
  const paramsPerColumn = dims.every(
      d => d.normalized === (d.paramStride !== 0) || (d.normalized && d.size === 1));
  return {groupCount, groupLength, contiguous, paramsPerColumn, paramSize: paramStride, dims};
}

/** Offsets in x and in gamma/beta of one kind of position. */
export interface OffsetTable {
  x: Int32Array;
  param: Int32Array;
}

/** Where each group starts: offsets of its first element in x and in gamma. */
export function groupOffsets(layout: GroupLayout): OffsetTable {
  return walk(layout.dims.filter(d => !d.normalized), layout.groupCount);
}

/** Offsets of each column relative to its group's start, in x and in gamma. */
export function columnOffsets(layout: GroupLayout): OffsetTable {
  return walk(layout.dims.filter(d => d.normalized), layout.groupLength);
}

/** Row-major walk of `dims`, innermost fastest. */
function walk(dims: LayoutDim[], count: number): OffsetTable {
  const x = new Int32Array(count);
  const param = new Int32Array(count);
  const counters = new Array(dims.length).fill(0);
  let xAt = 0, paramAt = 0;
  for (let i = 0; i < count; i++) {
    x[i] = xAt;
    param[i] = paramAt;
    for (let d = dims.length - 1; d >= 0; d--) {
      const {size, stride, paramStride} = dims[d];
      xAt += stride;
      paramAt += paramStride;
      if (++counters[d] < size) {
        break;
      }
      xAt -= stride * size;
      paramAt -= paramStride * size;
      counters[d] = 0;
    }
  }
  return {x, param};
}
