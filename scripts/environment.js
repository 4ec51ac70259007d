/**
 * What the GPU tests and benches need from the machine, in one place.
 *
 * WebGPU in Node runs on npm `webgpu` (Dawn) over the SwiftShader Vulkan
 * driver that Debian's `chromium` package ships. The Vulkan loader reads
 * VK_ICD_FILENAMES when the native module loads, so these must be in the
 * environment of the Node process before it starts.
 */
const fs = require('fs');

const CHROMIUM_LIB = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_LIB}/vk_swiftshader_icd.json`;
const CHROMIUM_BINARY = '/usr/bin/chromium';

function gpuEnvironment() {
  const ldPath = process.env.LD_LIBRARY_PATH;
  return {
    VK_ICD_FILENAMES: SWIFTSHADER_ICD,
    LD_LIBRARY_PATH: ldPath ? `${CHROMIUM_LIB}:${ldPath}` : CHROMIUM_LIB,
  };
}

/** Throws a clear error when the driver or browser is not installed. */
function requireChromium() {
  for (const file of [CHROMIUM_BINARY, SWIFTSHADER_ICD]) {
    if (!fs.existsSync(file)) {
      throw new Error(
          `${file} is missing: the GPU tests need Debian's chromium package ` +
          `(apt-get install chromium), which ships the browser and its ` +
          `SwiftShader Vulkan driver.`);
    }
  }
}

module.exports = {CHROMIUM_BINARY, SWIFTSHADER_ICD, gpuEnvironment, requireChromium};
