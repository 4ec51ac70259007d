/**
 * Node test projects. `cpu` and `wasm` need nothing but Node; `webgpu` needs the Dawn
 * binary of npm `webgpu` and Chromium's SwiftShader Vulkan driver (its
 * globalSetup checks for them and fails loudly when they are missing).
 */
const tsJest = ['ts-jest', {tsconfig: 'tsconfig.json', diagnostics: {warnOnly: false}}];

module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'cpu',
      testEnvironment: 'node',
      transform: {'^.+\\.ts$': tsJest},
      testMatch: ['<rootDir>/test/node/**/*.test.ts'],
    },
    {
      displayName: 'webgpu',
      testEnvironment: 'node',
      transform: {'^.+\\.ts$': tsJest},
      testMatch: ['<rootDir>/test/webgpu/**/*.test.ts'],
      globalSetup: '<rootDir>/test/webgpu/global_setup.ts',
      setupFiles: ['<rootDir>/test/webgpu/setup_navigator_gpu.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/webgpu/setup_backend.ts'],
    },
    {
      // TF.js's wasm backend in Node (SIMD on, threads off); its setup fails
      // the run when the backend cannot start.
      displayName: 'wasm',
      testEnvironment: 'node',
      transform: {'^.+\\.ts$': tsJest},
      testMatch: ['<rootDir>/test/wasm/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/wasm/setup_backend.ts'],
    },
    {
      // tfjs-node's `tensorflow` backend (scripts/setup_tfjs_node.js installs
      // it); its setup fails every file when tfjs-node does not load.
      displayName: 'tensorflow',
      testEnvironment: 'node',
      transform: {'^.+\\.ts$': tsJest},
      testMatch: ['<rootDir>/test/tfnode/**/*.test.ts'],
      globalSetup: '<rootDir>/test/tfnode/global_setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/tfnode/setup_backend.ts'],
    },
  ],
};
