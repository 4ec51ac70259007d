/**
 * Runs a compute shader with several outputs on the backend's own device
 * and command stream (TF.js's runWebGPUProgram binds exactly one output).
 * The shader declares its bindings itself: outputs, then inputs, then the
 * uniforms, in the order given here.
 */
import * as tf from '@tensorflow/tfjs';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import type {ProgramUniforms} from './layout_wgsl';

/** The backend's members this needs, public in its JS but not in its types. */
interface BackendInternals {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder;
  computePassEncoder: GPUComputePassEncoder|null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  tensorToBinding(t: tf.TensorInfo): GPUBindingResource;
  makeUniforms(uniforms: ProgramUniforms): GPUBindingResource;
}

export interface FusedProgram {
  /** Identifies the WGSL (pipelines are cached by it). */
  key: string;
  code(): string;
  /** Workgroups wanted; folded into 2-D past the device's limit. */
  workgroups: number;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** WGSL: the linear workgroup index of a (possibly folded) dispatch. */
export const WORKGROUP_INDEX =
    'i32(workgroupId.y * numWorkgroups.x + workgroupId.x)';

export function runFused(
    webgpu: WebGPUBackend, program: FusedProgram, inputs: tf.TensorInfo[],
    outputs: tf.TensorInfo[], uniforms: ProgramUniforms): void {
  const backend = webgpu as unknown as BackendInternals;
  const {device} = backend;
  let cache = pipelines.get(device);
  if (cache == null) {
    cache = new Map();
    pipelines.set(device, cache);
  }
  let pipeline = cache.get(program.key);
  if (pipeline == null) {
    pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: {module: device.createShaderModule({code: program.code()}), entryPoint: 'main'},
    });
    cache.set(program.key, pipeline);
  }
  const tensors = [...outputs, ...inputs];
  tensors.forEach(t => backend.uploadToGPU(t.dataId));
  const entries = [...tensors.map(t => backend.tensorToBinding(t)), backend.makeUniforms(uniforms)];
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: entries.map((resource, binding) => ({binding, resource})),
  });
  tensors.forEach(t => backend.commandQueueOwnedIds.add(t.dataId));

  const limit = device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.min(program.workgroups, limit);
  backend.ensureCommandEncoderReady();
  if (backend.computePassEncoder == null) {
    backend.computePassEncoder = backend.commandEncoder.beginComputePass({});
  }
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(x, Math.ceil(program.workgroups / x), 1);
  if (++backend.dispatchCountInPass >= tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}
