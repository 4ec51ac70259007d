/**
 * Once per jest run of the `webgpu` project: fails the whole project with a
 * clear message when the driver environment or the adapter is missing,
 * before any test file starts, and says which adapter the tests run on.
 */
import {describeAdapter, installNavigatorGpu, requireAdapter} from './dawn';

export default async function globalSetup(): Promise<void> {
  const adapter = await requireAdapter(installNavigatorGpu());
  console.log(`\nwebgpu tests run on: ${describeAdapter(adapter)}`);
}
