/**
 * `tfjs-layernorm`: the op ({@link layerNorm}, {@link layerNormWithStats}), the
 * layer ({@link LayerNorm}, {@link layerNormLayer}), the ports from other
 * frameworks and the Node file handler. Importing it registers the gradient and
 * the cpu, webgl and tfjs-node (`tensorflow`) kernels; webgpu and wasm register
 * through `tfjs-layernorm/webgpu` and `tfjs-layernorm/wasm`.
 *
 * @module tfjs-layernorm
 */
import {registerCpuKernels} from './backends/cpu/register_all_kernels';
import {registerTensorflowKernels} from './backends/tensorflow/register_all_kernels';
import {registerWebglKernels} from './backends/webgl/register_all_kernels';
import {registerFileRouter} from './io/node_file_system';
import {registerGradients} from './gradients/register_all_gradients';

registerGradients();
registerCpuKernels();
registerWebglKernels();
registerTensorflowKernels();
registerFileRouter();

export {LayerNormAttrs, LayerNormGradAttrs, LayerNormGradKernel, LayerNormKernel} from './kernel_names';
export {AxisArg, normalizeAxes} from './layer_norm_util';
export {DEFAULT_EPSILON, layerNorm, LayerNormFn, LayerNormOptions, LayerNormWithStats, layerNormWithStats, LayerNormWithStatsFn, TensorArg} from './ops/layer_norm';
export {FORCE_COMPOSITE_FLAG} from './ops/layer_norm_composite';
export {cpuKernelsInUse, setCpuKernelImplementation} from './backends/cpu/simd_arena';
export {KernelImplementation} from './backends/shared/simd_module';
export {setTensorflowKernelRoute, TensorflowKernelRoute, tensorflowKernelRoute} from './backends/tensorflow/layer_norm';
export {kerasCompatible, normalizeKerasTopology} from './io/keras_format';
export {nodeFileSystem, registerFileRouter} from './io/node_file_system';
export {ConstraintIdentifier, DTypePolicyConfig, InitializerIdentifier, RegularizerIdentifier, SerializedKerasObject} from './layers/keras_objects';
export {LayerNorm, layerNormLayer, LayerNormLayerArgs} from './layers/layer_norm_layer';
export {useFusedLayerNormalization} from './layers/fused_builtin';
export {FLAX_DEFAULT_EPSILON, flaxLayerNormArgs, FlaxLayerNormArgs, FlaxLayerNormWeights, KERAS_DEFAULT_EPSILON, KerasLayerNormConfig, kerasLayerNormArgs, KerasLayerNormWeights, MLX_DEFAULT_EPS, mlxLayerNormArgs, MLXLayerNormArgs, MLXLayerNormWeights, MXNetLayerNormWeights, PYTORCH_DEFAULT_EPS, pytorchLayerNormArgs, PyTorchLayerNormArgs, PyTorchLayerNormWeights, setFrameworkWeights} from './layers/ports';
