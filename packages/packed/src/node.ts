/**
 * @fracbits/packed/node — the packed runtime on Dawn (the `webgpu` package) in Node. The only
 * module that imports `webgpu`, so browser bundles never pull in the Dawn binary.
 */
import { create, globals } from 'webgpu';
import { type LoadPackedModelOptions, loadPackedModel, type PackedGpuModel } from './gpu.js';
import type { PackedModel } from './reader.js';

/**
 * Dawn's GPU object, created once and kept referenced for the life of the process: once it is
 * garbage-collected, dawn.node crashes or silently exits the process.
 */
let dawnGpu: GPU | null = null;

/** The process-wide Dawn `GPU` object (installs Dawn's WebGPU globals on first use). */
export function nodeGpu(flags: readonly string[] = []): GPU {
  if (!dawnGpu) {
    Object.assign(globalThis, globals);
    dawnGpu = create([...flags]) as GPU;
  }
  return dawnGpu;
}

export interface NodeDevice {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  /** The WGSL language features Dawn reports (the dot4 variant needs packed_4x8_integer_dot_product). */
  readonly wgslLanguageFeatures: ReadonlySet<string>;
}

/** A Dawn device; throws a clear error without an adapter (Dawn needs a Vulkan driver). */
export async function createNodeDevice(): Promise<NodeDevice> {
  const gpu = nodeGpu();
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new Error(
      'createNodeDevice: no WebGPU adapter found. Dawn needs a Vulkan driver: on Debian install libvulkan1 and mesa-vulkan-drivers from bookworm-backports (Mesa ≥ 25) — see scripts/setup.',
    );
  }
  const device = await adapter.requestDevice({
    // Timestamp queries let profileLayers time passes on the GPU itself.
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  return { device, adapter, wgslLanguageFeatures: gpu.wgslLanguageFeatures };
}

/**
 * Loads a packed model on a Dawn device created for it (variant 'auto' uses Dawn's WGSL
 * language features); `dispose()` also destroys that device.
 */
export async function loadPackedModelNode(
  source: Uint8Array | ArrayBuffer | PackedModel,
  options: LoadPackedModelOptions = {},
): Promise<PackedGpuModel & { readonly device: GPUDevice }> {
  const { device, wgslLanguageFeatures } = await createNodeDevice();
  let model: PackedGpuModel;
  try {
    model = await loadPackedModel(source, device, { wgslLanguageFeatures, ...options });
  } catch (err) {
    device.destroy();
    throw err;
  }
  return {
    device,
    model: model.model,
    variant: model.variant,
    infer: (batch) => model.infer(batch),
    dispose() {
      model.dispose();
      device.destroy();
    },
  };
}
