/**
 * The composite of TF.js ops on the `webgpu` backend: x folded so that no
 * kernel sees a rank above 4 (webgpu's `where` stops at rank 4), and rows
 * whose squares overflow float32.
 */
import {compositeRankChecks, extremeRowChecks} from '../shared/hostile_inputs';

describe('composite on webgpu (issue regressions)', () => {
  compositeRankChecks();
  extremeRowChecks(['composite']);
});
