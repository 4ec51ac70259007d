/**
 * `tfjs-layernorm/wasm`: registers the kernels for TF.js's `wasm` backend,
 * which the application loads itself (this module uses only its types).
 *
 * @module tfjs-layernorm/wasm
 */
import {registerWasmKernels} from '../backends/wasm/register_all_kernels';
import {registerGradients} from '../gradients/register_all_gradients';

registerGradients();
registerWasmKernels();

export {registerWasmKernels, wasmKernelConfigs} from '../backends/wasm/register_all_kernels';
export {KernelImplementation} from '../backends/shared/simd_module';
export {setWasmKernelImplementation, wasmKernelsInUse} from '../backends/wasm/simd_kernels';
