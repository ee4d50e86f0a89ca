/** Device acquisition through a `GPU` object: `navigator.gpu` in browsers, Dawn's in Node. */
import { OPTIONAL_FEATURES } from './adapter.js';
import { WebGpuBackend, type WebGpuBackendOptions } from './backend.js';

export interface CreateWebGpuBackendOptions extends Omit<WebGpuBackendOptions, 'gpu' | 'adapterInfo'> {
  /** The WebGPU entry point (default: `navigator.gpu`). */
  gpu?: GPU;
  /** Use this adapter instead of requesting one. */
  adapter?: GPUAdapter;
  powerPreference?: GPUPowerPreference;
  /**
   * Device features to require. Default: those of 'shader-f16', 'subgroups' and
   * 'timestamp-query' that the adapter has; kernels needing others fail with a clear error.
   */
  requiredFeatures?: readonly GPUFeatureName[];
}

/**
 * Limits requested at the adapter's maximum: buffer sizes, so that large tensors fit. Everything
 * else (notably maxStorageBuffersPerShaderStage = 8) stays at WebGPU's defaults on purpose, so a
 * kernel that works here works on every conforming device.
 */
const RAISED_LIMITS = ['maxBufferSize', 'maxStorageBufferBindingSize'] as const;

export async function createWebGpuBackend(options: CreateWebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu && !options.adapter) {
    throw new Error(
      'createWebGpuBackend: WebGPU is not available here (navigator.gpu is undefined). In Node, use createNodeBackend() from @fracbits/webgpu/node; in a browser, one with WebGPU enabled.',
    );
  }
  const adapter =
    options.adapter ?? (await gpu!.requestAdapter({ powerPreference: options.powerPreference }));
  if (!adapter)
    throw new Error('createWebGpuBackend: no WebGPU adapter is available (requestAdapter() returned null)');
  const available = [...adapter.features] as GPUFeatureName[];
  const requiredFeatures =
    options.requiredFeatures ?? OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const missing = requiredFeatures.filter((f) => !adapter.features.has(f));
  if (missing.length > 0) {
    throw new Error(
      `createWebGpuBackend: the adapter lacks required feature(s) ${missing.join(', ')}; it has: ${available.sort().join(', ')}`,
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({
    label: 'fracbits',
    requiredFeatures: [...requiredFeatures],
    requiredLimits,
  });
  return new WebGpuBackend(device, { ...options, gpu, adapterInfo: adapter.info });
}
