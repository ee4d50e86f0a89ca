/**
 * @fracbits/webgpu — the WebGPU backend of @fracbits/tensor. Browser-safe: this entry never
 * imports Dawn; Node users get a device through `@fracbits/webgpu/node`.
 */
export { describeAdapter, isSoftwareAdapter, OPTIONAL_FEATURES } from './adapter.js';
export {
  type GpuWait,
  WebGpuBackend,
  type WebGpuBackendOptions,
  type WebGpuBuffer,
  type WebGpuStats,
} from './backend.js';
export type { BindGroupStats } from './bind-groups.js';
export { type CreateWebGpuBackendOptions, createWebGpuBackend } from './create.js';
export { WebGpuError, type WebGpuErrorKind } from './errors.js';
export { bucketBytes, type PoolStats } from './pool.js';
export type { KernelProfile } from './profiler.js';
