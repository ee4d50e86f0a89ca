/**
 * Pipeline cache. A launch resolves its pipeline in two steps: a per-descriptor map keyed by the
 * launch's defines (cheap, no string building on the hot path), then — on a miss only — the
 * instantiated WGSL's `key`, so two descriptors or define sets producing identical code share one
 * pipeline. Bind group layouts are explicit (derived from the shader header) so that the params
 * uniform can use a dynamic offset into the per-batch params arena.
 */
import { type Defines, instantiate, type KernelDescriptor, paramsByteLength } from '@fracbits/kernels';
import { ShaderStage } from './constants.js';
import { compilationDetails, kernelLabel, WebGpuError } from './errors.js';

export interface PipelineEntry {
  /** Kernel name and defines, for messages. */
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  /** Identifies `layout` in bind group cache keys. */
  readonly layoutId: number;
  /** Size of the params uniform binding (0: the kernel has no params). */
  readonly paramsBytes: number;
  readonly access: readonly ('read' | 'read_write')[];
  /** Set once the GPU rejected the pipeline: later launches throw it instead of recording. */
  error?: Error;
}

interface Layout {
  readonly id: number;
  readonly bindGroup: GPUBindGroupLayout;
  readonly pipeline: GPUPipelineLayout;
}

export interface PipelineCacheHooks {
  /** Whether the device supports a feature a kernel asks for. */
  hasFeature(feature: string): boolean;
  /** Receives asynchronous creation errors (shader compilation, pipeline validation). */
  onError(error: Error): void;
  /** Receives the promise of each asynchronous check, so `sync()` can wait for it. */
  track(check: Promise<unknown>): void;
}

function definesKey(defines: Defines): string {
  let key = '';
  for (const name of Object.keys(defines).sort()) key += `${name}=${String(defines[name])};`;
  return key;
}

export class PipelineCache {
  private readonly byKernel = new WeakMap<KernelDescriptor, Map<string, PipelineEntry>>();
  private readonly byCode = new Map<string, PipelineEntry>();
  private readonly layouts = new Map<string, Layout>();

  constructor(
    private readonly device: GPUDevice,
    private readonly hooks: PipelineCacheHooks,
  ) {}

  /** Distinct pipelines created so far. */
  get size(): number {
    return this.byCode.size;
  }

  /** The pipeline for a launch; creation errors surface later through `hooks.onError`. */
  get(kernel: KernelDescriptor, defines: Defines): PipelineEntry {
    let perKernel = this.byKernel.get(kernel);
    if (!perKernel) {
      perKernel = new Map();
      this.byKernel.set(kernel, perKernel);
    }
    const dk = definesKey(defines);
    const hit = perKernel.get(dk);
    if (hit) return hit;
    const entry = this.create(kernel, defines, false).entry;
    perKernel.set(dk, entry);
    return entry;
  }

  /**
   * Creates (or finds) the pipeline and waits until the GPU accepted it: rejects with the kernel
   * name and the WGSL compiler's messages when it does not.
   */
  async compile(kernel: KernelDescriptor, defines: Defines): Promise<void> {
    const { entry, check } = this.create(kernel, defines, true);
    const perKernel = this.byKernel.get(kernel) ?? new Map<string, PipelineEntry>();
    this.byKernel.set(kernel, perKernel);
    await check;
    perKernel.set(definesKey(defines), entry);
  }

  private create(
    kernel: KernelDescriptor,
    defines: Defines,
    rethrow: boolean,
  ): { entry: PipelineEntry; check?: Promise<void> } {
    const label = kernelLabel(kernel.name, defines);
    for (const feature of kernel.features(defines)) {
      if (!this.hooks.hasFeature(feature)) {
        throw new WebGpuError(
          `kernel ${label}: needs the WebGPU feature "${feature}", which this device does not have`,
          [kernel.name],
          'usage',
        );
      }
    }
    let shader: ReturnType<typeof instantiate>;
    try {
      shader = instantiate(kernel, defines);
    } catch (err) {
      throw new WebGpuError(`kernel ${label}: ${(err as Error).message}`, [kernel.name], 'usage');
    }
    const known = this.byCode.get(shader.key);
    if (known) return { entry: known };

    const access = kernel.shader.bindings.map((b) => b.access);
    const paramsBytes = kernel.shader.params.length > 0 ? paramsByteLength(kernel.shader) : 0;
    const layout = this.layout(access, paramsBytes > 0);
    this.device.pushErrorScope('internal');
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: shader.code, label: kernel.name });
    const pipeline = this.device.createComputePipeline({
      label: kernel.name,
      layout: layout.pipeline,
      compute: { module, entryPoint: shader.entryPoint },
    });
    const validation = this.device.popErrorScope();
    const internal = this.device.popErrorScope();
    const entry: PipelineEntry = {
      label,
      pipeline,
      layout: layout.bindGroup,
      layoutId: layout.id,
      paramsBytes,
      access,
    };
    const check = Promise.all([validation, internal]).then(async ([v, i]) => {
      const err = v ?? i;
      if (!err) return;
      const details = await compilationDetails(module, shader.code);
      const message = `kernel ${label}: pipeline creation failed: ${err.message}${details}`;
      const error = new WebGpuError(message, [kernel.name], 'pipeline');
      entry.error = error;
      this.byCode.delete(shader.key);
      if (rethrow) throw error;
      this.hooks.onError(error);
    });
    if (!rethrow) this.hooks.track(check);
    this.byCode.set(shader.key, entry);
    return { entry, check };
  }

  /** The explicit layout for a binding signature: storage buffers in order, then params. */
  private layout(access: readonly ('read' | 'read_write')[], hasParams: boolean): Layout {
    const signature = `${access.map((a) => (a === 'read' ? 'r' : 'w')).join('')}${hasParams ? '+u' : ''}`;
    const known = this.layouts.get(signature);
    if (known) return known;
    const entries: GPUBindGroupLayoutEntry[] = access.map((a, i) => ({
      binding: i,
      visibility: ShaderStage.COMPUTE,
      buffer: { type: a === 'read' ? 'read-only-storage' : 'storage' },
    }));
    if (hasParams) {
      entries.push({
        binding: access.length,
        visibility: ShaderStage.COMPUTE,
        buffer: { type: 'uniform', hasDynamicOffset: true },
      });
    }
    const bindGroup = this.device.createBindGroupLayout({ entries, label: signature });
    const pipeline = this.device.createPipelineLayout({ bindGroupLayouts: [bindGroup], label: signature });
    const layout = { id: this.layouts.size + 1, bindGroup, pipeline };
    this.layouts.set(signature, layout);
    return layout;
  }
}
