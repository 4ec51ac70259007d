/**
 * Shape logic shared by the op, the layer and every backend's kernels.
 */

/** What the user may pass as `axis`. */
export type AxisArg = number|number[];

/**
 * Resolves `axis` against a tensor of the given rank: checks it, maps
 * negative axes from the end and sorts it. Throws an error naming `axis`.
 */
export function normalizeAxes(axis: AxisArg, rank: number): number[] {
  const list = Array.isArray(axis) ? axis : [axis];
  const expected =
      `an integer or an array of distinct integers in [-${rank}, ${rank - 1}]`;
  if (list.length === 0) {
    throw new Error(`layerNorm: axis must be ${expected}; got []`);
  }
  const seen = new Set<number>();
  for (const a of list) {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < -rank ||
        a >= rank) {
      throw new Error(`layerNorm: axis must be ${expected} for an input of ` +
                      `rank ${rank}; got ${JSON.stringify(axis)}`);
    }
    const resolved = a < 0 ? a + rank : a;
    if (seen.has(resolved)) {
      throw new Error(`layerNorm: axis must hold distinct axes; ` +
                      `${JSON.stringify(axis)} names axis ${resolved} twice`);
    }
    seen.add(resolved);
  }
  return [...seen].sort((a, b) => a - b);
}

/** Shape of gamma and beta: the sizes of x at the (sorted) normalized axes. */
export function paramShape(xShape: readonly number[], axes: readonly number[]):
    number[] {
  return axes.map(a => xShape[a]);
}

/** Shape of mean and invStd: x's shape with the normalized axes set to 1. */
export function statsShape(xShape: readonly number[], axes: readonly number[]):
    number[] {
  return xShape.map((d, i) => axes.includes(i) ? 1 : d);
}

/**
 * How a tensor splits into normalized groups ("rows"). Rows are numbered in
 * row-major order of the kept (outer) axes, which is the element order of
 * mean and invStd; the elements of a row are numbered in row-major order of
 * the normalized axes, which is the element order of gamma and beta.
 *
 * Adjacent axes of the same kind are merged, so `dims` alternates between
 * kept and normalized runs: NCHW with axis 1 becomes
 * [{N, kept}, {C, normalized}, {H*W, kept}].
 */
export interface LayerNormGeometry {
  /** Number of rows (product of the kept axes' sizes). */
  outerSize: number;
  /** Elements per row (product of the normalized axes' sizes). */
  innerSize: number;
  /** True when the normalized axes are the trailing ones: rows are contiguous. */
  isTrailing: boolean;
  /** Merged dimensions, outermost first. */
  dims: Array<{size: number, stride: number, normalized: boolean}>;
}

export function layerNormGeometry(
    xShape: readonly number[], axes: readonly number[]): LayerNormGeometry {
  const dims: LayerNormGeometry['dims'] = [];
  let stride = 1;
  for (let i = xShape.length - 1; i >= 0; i--) {
    const normalized = axes.includes(i);
    const size = xShape[i];
    if (size === 1 && dims.length > 0) {
      continue;  // a size-1 axis changes no offset: fold it away
    }
    const last = dims[0];
    if (last != null && last.normalized === normalized) {
      last.size *= size;  // a merged run keeps its innermost axis's stride
    } else {
      dims.unshift({size, stride, normalized});
    }
    stride *= size;
  }
  let outerSize = 1, innerSize = 1;
  for (const d of dims) {
    if (d.normalized) {
      innerSize *= d.size;
    } else {
      outerSize *= d.size;
    }
  }
  const isTrailing = dims.every(
      (d, i) => !d.normalized || dims.slice(i).every(e => e.normalized));
  return {outerSize, innerSize, isTrailing, dims};
}

/**
 * Offset in x of element `index` of each row (`normalized` true) or of the
 * first element of each row (`normalized` false), as an Int32Array. Lets a
 * strided kernel read any axis layout without transposing.
 */
export function groupOffsets(geometry: LayerNormGeometry, normalized: boolean):
    Int32Array {
  const parts = geometry.dims.filter(d => d.normalized === normalized);
  const count = normalized ? geometry.innerSize : geometry.outerSize;
  const offsets = new Int32Array(count);
  // Row-major walk of the selected dims, innermost fastest.
  const counters = new Array(parts.length).fill(0);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    offsets[i] = offset;
    for (let d = parts.length - 1; d >= 0; d--) {
      counters[d]++;
      offset += parts[d].stride;
      if (counters[d] < parts[d].size) {
        break;
      }
      offset -= parts[d].stride * parts[d].size;
      counters[d] = 0;
    }
  }
  return offsets;
}
