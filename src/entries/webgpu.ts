/**
 * `tfjs-layernorm/webgpu`: registers this package's fused kernels for TF.js's
 * `webgpu` backend (and the op's gradient, should this subpath be loaded
 * first). Kept out of the main entry so that users who never touch WebGPU
 * need no `@tensorflow/tfjs-backend-webgpu`.
 *
 *   import '@tensorflow/tfjs-backend-webgpu';
 *   import {layerNorm} from 'tfjs-layernorm';
 *   import 'tfjs-layernorm/webgpu';
 *
 * Importing the backend package here as well makes this subpath enough on
 * its own to get the backend (it registers itself when navigator.gpu exists).
 */
import '@tensorflow/tfjs-backend-webgpu';

import {registerWebGPUKernels} from '../backends/webgpu/register_all_kernels';
import {explainMissingWebGPU} from '../backends/webgpu/webgpu_unavailable';
import {registerGradientOnce} from '../register';

registerGradientOnce();
registerWebGPUKernels();
explainMissingWebGPU();

export {registerWebGPUKernels, webgpuKernelConfigs} from '../backends/webgpu/register_all_kernels';
