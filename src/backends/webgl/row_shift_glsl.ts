/**
 * The per-row shift of every statistic: each row is reduced as x - x0, x0
 * being its first element. x - x0 is exact for floats within a factor of
 * two of each other, so a row of mean 1e4 and spread 1 is summed as values
 * of size ~1 (its f32 mean alone would carry an error of ~5e-4), and the
 * sums stay far from the f16 range when textures hold half floats.
 *
 * A non-finite x0 would turn every x - x0 into NaN; such a row is left
 * unshifted instead, so an Infinity still gives an infinite mean as the
 * plain definition does. Needs `getX` (a flat x) and `rowStart`.
 */
export const ROW_SHIFT_GLSL = `
  float rowShift(int row) {
    float first = getX(rowStart(row));
    return (isnan(first) || isinf(first)) ? 0.0 : first;
  }
`;
