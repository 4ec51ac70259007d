/**
 * What the reduction programs write for a run of values, and how partial
 * results of a multi-pass reduction combine.
 *
 * Partials hold means (and root mean squares) rather than sums wherever
 * the final result is a mean: a mean stays within the range of its terms,
 * so it cannot overflow a half-float texture (f16 tops out at 65504) where
 * a sum of a thousand terms, or a mean square, could.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

/**
 * For `count` terms t:
 *   sum             sum(t)
 *   mean            sum(t) / count
 *   rootMeanSquare  sqrt(sum(t^2) / count), the partial of a variance
 *   invStd          1 / sqrt(sum(t^2) / count + epsilon)
 */
export type Summary = 'sum'|'mean'|'rootMeanSquare'|'invStd';

/** Whether terms are squared before they are accumulated. */
export function accumulatesSquares(summary: Summary): boolean {
  return summary === 'rootMeanSquare' || summary === 'invStd';
}

/** The summary partial results are kept in on the way to `final`. */
export function partialSummary(final: Summary): Summary {
  return final === 'invStd' ? 'rootMeanSquare' : final;
}

/**
 * GLSL expression of the value written, from the accumulated `total` and
 * the float `count` of terms behind it.
 */
export function summaryGlsl(summary: Summary, total: string, count: string): string {
  switch (summary) {
    case 'sum':
      return total;
    case 'mean':
      return `${total} / ${count}`;
    case 'rootMeanSquare':
      return `sqrt(${total} / ${count})`;
    case 'invStd':
      return `inversesqrt(${total} / ${count} + epsilon)`;
    default:
      throw new Error(`unknown summary ${summary as string}`);
  }
}

/** epsilon changes per call, so it is a uniform rather than baked into the shader. */
export function summaryUniforms(summary: Summary): GPGPUProgram['customUniforms'] {
  return summary === 'invStd' ? [{name: 'epsilon', type: 'float'}] : undefined;
}
