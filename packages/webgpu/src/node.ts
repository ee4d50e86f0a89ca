/**
 * @fracbits/webgpu/node — WebGPU in Node through Dawn (the `webgpu` package). The only module
 * that imports `webgpu`, so browser bundles of @fracbits/webgpu never pull in the Dawn binary.
 */
import { create } from 'webgpu';
import type { WebGpuBackend } from './backend.js';
import { type CreateWebGpuBackendOptions, createWebGpuBackend } from './create.js';

export interface NodeBackendOptions extends Omit<CreateWebGpuBackendOptions, 'gpu'> {
  /** Dawn toggles passed to `create()`, e.g. `['enable-dawn-features=allow_unsafe_apis']` (first call only). */
  dawnFlags?: readonly string[];
}

/**
 * Dawn's GPU object, created once and kept referenced for the life of the process: once it is
 * garbage-collected, dawn.node crashes or silently exits the process.
 */
let dawnGpu: GPU | null = null;

/** The process-wide Dawn `GPU` object. */
export function nodeGpu(flags: readonly string[] = []): GPU {
  dawnGpu ??= create([...flags]) as GPU;
  return dawnGpu;
}

const NO_ADAPTER_HELP =
  'no WebGPU adapter found. Dawn needs a Vulkan driver: on Debian install libvulkan1 and mesa-vulkan-drivers from bookworm-backports (Mesa ≥ 25; the stock bookworm Mesa 22.3 is rejected by Dawn) — see scripts/setup. Check with `vulkaninfo --summary`.';

/** Creates the WebGPU backend on Dawn; throws a clear error when no adapter exists. */
export async function createNodeBackend(options: NodeBackendOptions = {}): Promise<WebGpuBackend> {
  const gpu = nodeGpu(options.dawnFlags);
  const adapter = options.adapter ?? (await gpu.requestAdapter({ powerPreference: options.powerPreference }));
  if (!adapter) throw new Error(`createNodeBackend: ${NO_ADAPTER_HELP}`);
  return createWebGpuBackend({ ...options, gpu, adapter });
}

/** Whether Dawn finds a WebGPU adapter (for `--backend auto`); never throws. */
export async function hasWebGpuAdapter(): Promise<boolean> {
  try {
    return (await nodeGpu().requestAdapter()) !== null;
  } catch {
    return false;
  }
}
