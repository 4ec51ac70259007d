/** Shape logic shared by the op, the layer and every backend's kernels. */

/** What the user may pass as `axis`. */
export type AxisArg = number|number[];

/**
 * Resolves an axis argument against a tensor of the given rank: checks it,
 * maps negative axes from the end and sorts it. Throws an error naming it.
 */
export function normalizeAxes(
    axis: AxisArg, rank: number, name = 'axis', mayBeEmpty = false): number[] {
  const list: unknown[] = Array.isArray(axis) ? axis : [axis];
  const expected =
      `an integer or an array of distinct integers in [-${rank}, ${rank - 1}]`;
  if (list.length === 0 && !mayBeEmpty) {
    throw new Error(`layerNorm: ${name} must be ${expected}; got []`);
  }
  const seen = new Set<number>();
  for (const a of list) {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < -rank || a >= rank) {
      throw new Error(`layerNorm: ${name} must be ${expected} for an input of ` +
                      `rank ${rank}; got ${describeValue(axis)}`);
    }
    const resolved = a < 0 ? a + rank : a;
    if (seen.has(resolved)) {
      throw new Error(`layerNorm: ${name} must hold distinct axes; ` +
                      `${describeValue(axis)} names axis ${resolved} twice`);
    }
    seen.add(resolved);
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * The epsilons the layer and the ports accept: finite and >= 0. PyTorch,
 * Flax, MLX, MXNet and Keras all take 0 (a constant group then gives
 * 0 / 0 = NaN there, and here).
 */
export const EPSILON_FORM = 'a finite number >= 0';
export function isAcceptedEpsilon(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** A value as a message shows it: BigInts, NaN and Infinity included. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(describeValue).join(', ')}]`;
  }
  if (typeof value === 'bigint') {
    return `${value}n`;
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (value != null && typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
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
