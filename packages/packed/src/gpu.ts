/**
 * The packed-model WebGPU runtime. Works with any `GPUDevice` (browser or Dawn in Node): weights
 * and other constants are uploaded once at load; each batch size gets its own plan (activation
 * buffers, bind groups, uniforms) on first use, and every `infer` records all launches in one
 * compute pass, one submit and one read-back.
 */
import { type Defines, instantiate, type KernelDescriptor, packParams } from '@fracbits/kernels';
import {
  batchSize,
  buildPlan,
  type CompiledModel,
  compileModel,
  type LowbitVariant,
  type Plan,
} from './plan.js';
import { type PackedModel, readPackedModel } from './reader.js';

// GPUBufferUsage / GPUMapMode values, spelled out so the runtime does not depend on globals
// (Dawn in Node installs them only on request).
const MAP_READ = 0x0001;
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const UNIFORM = 0x0040;
const STORAGE = 0x0080;
const MAP_MODE_READ = 0x0001;

/** WGSL language feature needed by the dot4 variant. */
export const DOT4_FEATURE = 'packed_4x8_integer_dot_product';

export interface LoadPackedModelOptions {
  /** 'auto' (default): dot4 when the WGSL language feature is reported, else float. */
  readonly variant?: LowbitVariant | 'auto';
  /**
   * The WGSL language features of the device's GPU (`navigator.gpu.wgslLanguageFeatures`); by
   * default read from `globalThis.navigator.gpu`. The Node entry passes Dawn's.
   */
  readonly wgslLanguageFeatures?: ReadonlySet<string>;
  /** Plans (batch sizes) kept with their buffers; the least recently used is freed (default 4). */
  readonly maxPlans?: number;
}

export interface PackedGpuModel {
  readonly model: PackedModel;
  readonly variant: LowbitVariant;
  /** Logits (output layer values) for `batch` = [N, ...input shape] float32, N inferred. */
  infer(batch: Float32Array): Promise<Float32Array>;
  /** Frees every GPU buffer of the model. */
  dispose(): void;
}

/** Whether the GPU reports the WGSL language feature of the dot4 variant. */
export function supportsDot4(features?: ReadonlySet<string>): boolean {
  const fromNavigator = (
    globalThis as { navigator?: { gpu?: { wgslLanguageFeatures?: ReadonlySet<string> } } }
  ).navigator?.gpu?.wgslLanguageFeatures;
  return (features ?? fromNavigator)?.has(DOT4_FEATURE) === true;
}

interface GpuPlan {
  readonly plan: Plan;
  readonly temps: GPUBuffer[];
  readonly uniforms: GPUBuffer[];
  readonly bindGroups: GPUBindGroup[];
  readonly pipelines: GPUComputePipeline[];
  readonly dispatches: [number, number, number][];
  readonly staging: GPUBuffer;
}

class GpuRuntime implements PackedGpuModel {
  readonly variant: LowbitVariant;
  private readonly compiled: CompiledModel;
  private readonly constants: GPUBuffer[];
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly plans = new Map<number, Promise<GpuPlan>>();
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    readonly model: PackedModel,
    private readonly device: GPUDevice,
    variant: LowbitVariant,
    private readonly maxPlans: number,
  ) {
    this.variant = variant;
    this.compiled = compileModel(model, variant);
    this.constants = this.compiled.constants.map((data) => this.upload(data));
  }

  private upload(data: Uint32Array | Float32Array): GPUBuffer {
    const buffer = this.buffer(data.byteLength, STORAGE | COPY_DST, 'constant');
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  private buffer(bytes: number, usage: number, what: string): GPUBuffer {
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (usage & STORAGE && bytes > limit) {
      throw new Error(
        `packed runtime: a ${what} buffer needs ${bytes} bytes, over the device's ${limit}-byte storage binding limit; use smaller batches`,
      );
    }
    return this.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
  }

  private pipeline(kernel: KernelDescriptor, defines: Defines): Promise<GPUComputePipeline> {
    const shader = instantiate(kernel, defines);
    let p = this.pipelines.get(shader.key);
    if (!p) {
      p = (async () => {
        const module = this.device.createShaderModule({ code: shader.code, label: kernel.name });
        const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
        if (errors.length > 0) {
          throw new Error(
            `packed runtime: kernel ${kernel.name} failed to compile: ${errors.map((m) => m.message).join('; ')}`,
          );
        }
        return this.device.createComputePipelineAsync({
          layout: 'auto',
          compute: { module, entryPoint: shader.entryPoint },
          label: kernel.name,
        });
      })();
      this.pipelines.set(shader.key, p);
    }
    return p;
  }

  private async createPlan(n: number): Promise<GpuPlan> {
    const plan = buildPlan(this.compiled, n);
    const temps: GPUBuffer[] = [];
    const buffers = plan.buffers.map((b, id) => {
      if (b.kind === 'const') return this.constants[id];
      const usage = STORAGE | (id === plan.input ? COPY_DST : 0) | (id === plan.output ? COPY_SRC : 0);
      const buffer = this.buffer(4 * b.length, usage, 'activation');
      temps.push(buffer);
      return buffer;
    });
    const pipelines = await Promise.all(plan.steps.map((s) => this.pipeline(s.kernel, s.defines)));
    const uniforms: GPUBuffer[] = [];
    const bindGroups = plan.steps.map((step, i) => {
      const data = packParams(step.kernel.shader, step.params);
      const uniform = this.buffer(data.byteLength, UNIFORM | COPY_DST, 'uniform');
      this.device.queue.writeBuffer(uniform, 0, data);
      uniforms.push(uniform);
      return this.device.createBindGroup({
        label: `${step.layer}: ${step.kernel.name}`,
        layout: pipelines[i].getBindGroupLayout(0),
        entries: [...step.buffers.map((id) => buffers[id]), uniform].map((buffer, binding) => ({
          binding,
          resource: { buffer },
        })),
      });
    });
    const dispatches = plan.steps.map((s) => s.kernel.dispatch(s.params, s.defines));
    const staging = this.buffer(4 * plan.outputLength, MAP_READ | COPY_DST, 'read-back');
    return { plan, temps: [...temps], uniforms, bindGroups, pipelines, dispatches, staging };
  }

  /** The plan for batches of n (created, with its pipelines, on first use). */
  planFor(n: number): Promise<GpuPlan> {
    let p = this.plans.get(n);
    if (p) {
      this.plans.delete(n); // re-inserted below: most recently used last
    } else {
      p = this.createPlan(n);
    }
    this.plans.set(n, p);
    while (this.plans.size > this.maxPlans) {
      const [oldest, evicted] = this.plans.entries().next().value as [number, Promise<GpuPlan>];
      this.plans.delete(oldest);
      void evicted.then(destroyPlan, () => {});
    }
    return p;
  }

  infer(batch: Float32Array): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new Error('packed runtime: infer() after dispose()'));
    let n: number;
    try {
      n = batchSize(this.model, batch.length, 'infer');
    } catch (err) {
      return Promise.reject(err);
    }
    // One batch at a time: plans own their activation buffers.
    const run = this.queue.then(() => this.run(n, batch));
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(n: number, batch: Float32Array): Promise<Float32Array> {
    const g = await this.planFor(n);
    const { device } = this;
    device.queue.writeBuffer(
      this.bufferOf(g, g.plan.input),
      0,
      batch.buffer,
      batch.byteOffset,
      batch.byteLength,
    );
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    g.pipelines.forEach((pipeline, i) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, g.bindGroups[i]);
      pass.dispatchWorkgroups(...g.dispatches[i]);
    });
    pass.end();
    encoder.copyBufferToBuffer(this.bufferOf(g, g.plan.output), 0, g.staging, 0, 4 * g.plan.outputLength);
    device.queue.submit([encoder.finish()]);
    await g.staging.mapAsync(MAP_MODE_READ, 0, 4 * g.plan.outputLength);
    const out = new Float32Array(g.staging.getMappedRange(0, 4 * g.plan.outputLength).slice(0));
    g.staging.unmap();
    return out;
  }

  /** The GPU buffer of plan buffer `id` (temps are stored in id order after the constants). */
  private bufferOf(g: GpuPlan, id: number): GPUBuffer {
    return g.temps[id - this.constants.length];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.plans.values()) void p.then(destroyPlan, () => {});
    this.plans.clear();
    for (const b of this.constants) b.destroy();
  }
}

function destroyPlan(g: GpuPlan): void {
  for (const b of [...g.temps, ...g.uniforms, g.staging]) b.destroy();
}

/**
 * Loads a packed model (file bytes, or an already read model) onto `device`: validates it,
 * uploads the weights once, compiles the kernels of a batch-1 plan. `options.variant` forces the
 * dot4 or float variant (tests run both); 'auto' picks dot4 when the GPU reports
 * `packed_4x8_integer_dot_product`.
 */
export async function loadPackedModel(
  source: Uint8Array | ArrayBuffer | PackedModel,
  device: GPUDevice,
  options: LoadPackedModelOptions = {},
): Promise<PackedGpuModel> {
  const model =
    source instanceof Uint8Array || source instanceof ArrayBuffer ? readPackedModel(source) : source;
  const requested = options.variant ?? 'auto';
  const variant: LowbitVariant =
    requested === 'auto' ? (supportsDot4(options.wgslLanguageFeatures) ? 'dot4' : 'float') : requested;
  if (variant !== 'dot4' && variant !== 'float') {
    throw new Error(
      `loadPackedModel: variant must be 'auto', 'dot4' or 'float', got ${JSON.stringify(requested)}`,
    );
  }
  device.pushErrorScope('validation');
  const runtime = new GpuRuntime(model, device, variant, Math.max(1, options.maxPlans ?? 4));
  let failure: unknown = null;
  try {
    await runtime.planFor(1);
  } catch (err) {
    failure = err;
  }
  const error = await device.popErrorScope();
  if (failure || error) {
    runtime.dispose();
    throw failure ?? new Error(`loadPackedModel: WebGPU validation error: ${error?.message}`);
  }
  return runtime;
}
