/**
 * `tfjs-layernorm/wasm`: registers this package's fused kernels for TF.js's
 * `wasm` backend (and the op's gradient, should this subpath be loaded
 * first). Kept out of the main entry so that users who never touch the wasm
 * backend need no `@tensorflow/tfjs-backend-wasm`; this module uses only its
 * types, so the application loads and configures the backend itself:
 *
 *   import '@tensorflow/tfjs-backend-wasm';
 *   import {layerNorm} from 'tfjs-layernorm';
 *   import 'tfjs-layernorm/wasm';
 *   await tf.setBackend('wasm');
 *
 * The kernels run this package's WebAssembly SIMD code on the backend's heap
 * (trailing axes), or JS loops over that heap where SIMD cannot run:
 * `wasmKernelsInUse(tf.backend())` says which; `setWasmKernelImplementation`
 * ('simd' | 'js') chooses, for comparisons.
 */
import {registerWasmKernels} from '../backends/wasm/register_all_kernels';
import {registerGradients} from '../gradients/register_all_gradients';

registerGradients();
registerWasmKernels();

export {registerWasmKernels, wasmKernelConfigs} from '../backends/wasm/register_all_kernels';
export {setWasmKernelImplementation, WasmKernelImplementation, wasmKernelsInUse} from '../backends/wasm/simd_kernels';
