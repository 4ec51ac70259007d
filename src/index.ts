/**
 * tfjs-layernorm: an MXNet-Gluon-style LayerNorm for TensorFlow.js.
 *
 * Importing this module registers the gradient and the `cpu` kernels.
 * Other backends' kernels: `webgl` registers here too (it ships inside
 * `@tensorflow/tfjs`); `webgpu` and `wasm` through their subpath imports
 * `tfjs-layernorm/webgpu` and `tfjs-layernorm/wasm`.
 */
import {registerCpuKernels} from './backends/cpu/register_all_kernels';
import {registerGradientOnce} from './register';

registerGradientOnce();
registerCpuKernels();

export {LayerNormAttrs, LayerNormGradAttrs, LayerNormGradKernel, LayerNormKernel} from './kernel_names';
export {AxisArg, normalizeAxes} from './layer_norm_util';
export {DEFAULT_EPSILON, layerNorm, LayerNormOptions, LayerNormWithStats, layerNormWithStats} from './ops/layer_norm';
