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

/** The largest float32, and the smallest positive normal one. */
export const FLOAT32_MAX = 3.4028234663852886e38;
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/** What epsilon may be, as the errors say it. */
export const EPSILON_FORM =
    `0 or a number in [${FLOAT32_MIN_NORMAL}, ${FLOAT32_MAX}] (float32's normal range)`;

/**
 * The epsilons the op, the layer and the ports accept. 0 is accepted, as
 * PyTorch, Flax, MXNet and Keras do (a constant group then gives 0/0: y NaN,
 * invStd Infinity). Values no float32 holds are refused, and so are positive
 * ones below float32's smallest normal: GPUs flush such subnormals to 0 and
 * float32 rounds the smallest to 0, so backends would disagree on constant groups.
 */
export function isAcceptedEpsilon(value: unknown): value is number {
  return typeof value === 'number' &&
      (value === 0 || (value >= FLOAT32_MIN_NORMAL && value <= FLOAT32_MAX));
}

/** Throws unless `epsilon` is accepted (`owner` and `name` as the caller's API says them). */
export function checkEpsilon(epsilon: unknown, owner = 'layerNorm', name = 'epsilon'):
    asserts epsilon is number {
  if (!isAcceptedEpsilon(epsilon)) {
    throw new Error(`${owner}: ${name} must be ${EPSILON_FORM}; got ${describeValue(epsilon)}`);
  }
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
