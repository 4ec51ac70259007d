/**
 * `tfjs-layernorm/webgpu`: loads TF.js's `webgpu` backend (it registers
 * itself where navigator.gpu exists) and registers the kernels for it.
 *
 * @module tfjs-layernorm/webgpu
 */
import '@tensorflow/tfjs-backend-webgpu';

import {registerWebGPUKernels} from '../backends/webgpu/register_all_kernels';
import {explainMissingWebGPU} from '../backends/webgpu/webgpu_unavailable';
import {registerGradients} from '../gradients/register_all_gradients';

registerGradients();
registerWebGPUKernels();
explainMissingWebGPU();

export {registerWebGPUKernels, webgpuKernelConfigs} from '../backends/webgpu/register_all_kernels';
