/**
 * Node test projects. `cpu` needs nothing but Node; `webgpu` needs the Dawn
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
  ],
};
