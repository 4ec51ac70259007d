/**
 * WebGPU for the Node tests: npm `webgpu` (Dawn) over the SwiftShader Vulkan
 * driver of Debian's chromium package (scripts/environment.js).
 *
 * npm `webgpu`'s entry point is an ES module, which jest's CommonJS module
 * system cannot load, so this loads the native Dawn module it wraps directly
 * (the wrapper only adds buffer unmapping on GPUDevice.destroy, which the
 * tests never call).
 */
import * as fs from 'fs';
import * as path from 'path';

// The driver paths, shared with the npm scripts (plain CommonJS).
const {gpuEnvironment, SWIFTSHADER_ICD} = require('../../scripts/environment') as {
  gpuEnvironment(): Record<string, string>,
  SWIFTSHADER_ICD: string,
};

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Throws a message that says what to install or set when a piece is missing. */
export function checkGpuEnvironment(): void {
  const icd = process.env.VK_ICD_FILENAMES;
  if (!icd) {
    throw new Error(
        'webgpu tests: VK_ICD_FILENAMES is not set. Run them through `npm test`, ' +
        'or prefix jest with the driver environment (it must be set before ' +
        `Node starts): ${Object.entries(gpuEnvironment()).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  if (!fs.existsSync(icd)) {
    throw new Error(`webgpu tests: VK_ICD_FILENAMES names ${icd}, which does not ` +
                    `exist: install Debian's chromium package (apt-get install chromium).`);
  }
}

export function loadDawn(): DawnModule {
  const packageDir = path.dirname(require.resolve('webgpu/package.json'));
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const binary = path.join(packageDir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
  if (!fs.existsSync(binary)) {
    throw new Error(`webgpu tests: npm webgpu has no Dawn binary for this platform (${binary})`);
  }
  return require(binary) as DawnModule;
}

/**
 * Installs the WebGPU globals and navigator.gpu, as a browser has them.
 * Must run before @tensorflow/tfjs-backend-webgpu is first imported: it
 * registers the `webgpu` backend only when navigator.gpu exists.
 */
export function installNavigatorGpu(): GPU {
  checkGpuEnvironment();
  const {create, globals} = loadDawn();
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', {
    value: {...(globalThis as {navigator?: object}).navigator, gpu},
    configurable: true, writable: true,
  });
  return gpu;
}

/** The adapter TF.js will get, or a loud error saying why there is none. */
export async function requireAdapter(gpu: GPU): Promise<GPUAdapter> {
  const adapter = await gpu.requestAdapter();
  if (adapter == null) {
    throw new Error(
        `webgpu tests: navigator.gpu.requestAdapter() returned null with ` +
        `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}; the Vulkan driver did ` +
        `not load (for ${SWIFTSHADER_ICD}, LD_LIBRARY_PATH must be ${
            gpuEnvironment().LD_LIBRARY_PATH}; it is ${
            process.env.LD_LIBRARY_PATH ?? 'unset'}).`);
  }
  return adapter;
}

/** "vendor architecture device description" of an adapter, for logs. */
export function describeAdapter(adapter: GPUAdapter): string {
  // `info` is newer than this project's @webgpu/types.
  const info = (adapter as unknown as {info?: Record<string, string>}).info ?? {};
  return ['vendor', 'architecture', 'device', 'description']
      .map(key => info[key]).filter(Boolean).join(' ') || 'unnamed adapter';
}
