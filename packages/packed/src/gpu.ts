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

/** A plan on a device: its buffers, pipelines and bind groups, ready to run batches. */
export interface GpuPlan {
  readonly plan: Plan;
  /** Runs one batch (plan.inputLength floats): one pass, one submit, one read-back. */
  run(input: Float32Array): Promise<Float32Array>;
  /** Records the plan's launches into `pass` (for timing loops; no upload, no read-back). */
  encode(pass: GPUComputePassEncoder): void;
  /** Frees the plan's own buffers (not shared constants). */
  destroy(): void;
}

/** Compiled pipelines by instantiation key, shared by the plans of a device. */
export type PipelineCache = Map<string, Promise<GPUComputePipeline>>;

function pipelineFor(device: GPUDevice, cache: PipelineCache, kernel: KernelDescriptor, defines: Defines) {
  const shader = instantiate(kernel, defines);
  let p = cache.get(shader.key);
  if (!p) {
    p = (async () => {
      const module = device.createShaderModule({ code: shader.code, label: kernel.name });
      const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
      if (errors.length > 0) {
        throw new Error(
          `packed runtime: kernel ${kernel.name} failed to compile: ${errors.map((m) => m.message).join('; ')}`,
        );
      }
      return device.createComputePipelineAsync({
        layout: 'auto',
        compute: { module, entryPoint: shader.entryPoint },
        label: kernel.name,
      });
    })();
    cache.set(shader.key, p);
  }
  return p;
}

function createBuffer(device: GPUDevice, bytes: number, usage: number, what: string): GPUBuffer {
  const limit = device.limits.maxStorageBufferBindingSize;
  if (usage & STORAGE && bytes > limit) {
    throw new Error(
      `packed runtime: a ${what} buffer needs ${bytes} bytes, over the device's ${limit}-byte storage binding limit; use smaller batches`,
    );
  }
  return device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
}

/** Uploads a constant (weights, epilogue, …) into a new storage buffer. */
export function uploadConstant(device: GPUDevice, data: Uint32Array | Float32Array): GPUBuffer {
  const buffer = createBuffer(device, data.byteLength, STORAGE | COPY_DST, 'constant');
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

export interface GpuPlanOptions {
  /** GPU buffers of the plan's constants, by id (default: uploaded for this plan and owned by it). */
  readonly constants?: readonly GPUBuffer[];
  readonly pipelines?: PipelineCache;
}

/**
 * Puts a plan (from `buildPlan`, or any plan of kernel launches) on `device`: allocates its
 * temporaries, compiles its pipelines, writes its uniforms and creates its bind groups once.
 */
export async function createGpuPlan(
  device: GPUDevice,
  plan: Plan,
  options: GpuPlanOptions = {},
): Promise<GpuPlan> {
  const owned: GPUBuffer[] = [];
  const buffers = plan.buffers.map((b, id) => {
    if (b.kind === 'const') {
      const shared = options.constants?.[id];
      if (shared) return shared;
      const buffer = uploadConstant(device, b.data);
      owned.push(buffer);
      return buffer;
    }
    const usage = STORAGE | (id === plan.input ? COPY_DST : 0) | (id === plan.output ? COPY_SRC : 0);
    const buffer = createBuffer(device, 4 * b.length, usage, 'activation');
    owned.push(buffer);
    return buffer;
  });
  const cache = options.pipelines ?? new Map();
  const pipelines = await Promise.all(plan.steps.map((s) => pipelineFor(device, cache, s.kernel, s.defines)));
  const bindGroups = plan.steps.map((step, i) => {
    const data = packParams(step.kernel.shader, step.params);
    const uniform = createBuffer(device, data.byteLength, UNIFORM | COPY_DST, 'uniform');
    device.queue.writeBuffer(uniform, 0, data);
    owned.push(uniform);
    return device.createBindGroup({
      label: `${step.layer}: ${step.kernel.name}`,
      layout: pipelines[i].getBindGroupLayout(0),
      entries: [...step.buffers.map((id) => buffers[id]), uniform].map((buffer, binding) => ({
        binding,
        resource: { buffer },
      })),
    });
  });
  const dispatches = plan.steps.map((s) => s.kernel.dispatch(s.params, s.defines));
  const outBytes = 4 * plan.outputLength;
  const staging = createBuffer(device, outBytes, MAP_READ | COPY_DST, 'read-back');
  owned.push(staging);
  const encode = (pass: GPUComputePassEncoder) => {
    pipelines.forEach((pipeline, i) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroups[i]);
      pass.dispatchWorkgroups(...dispatches[i]);
    });
  };
  return {
    plan,
    encode,
    async run(input: Float32Array): Promise<Float32Array> {
      if (input.length !== plan.inputLength) {
        throw new Error(`packed runtime: expected ${plan.inputLength} input floats, got ${input.length}`);
      }
      device.queue.writeBuffer(buffers[plan.input], 0, input.buffer, input.byteOffset, input.byteLength);
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      encode(pass);
      pass.end();
      encoder.copyBufferToBuffer(buffers[plan.output], 0, staging, 0, outBytes);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(MAP_MODE_READ, 0, outBytes);
      const out = new Float32Array(staging.getMappedRange(0, outBytes).slice(0));
      staging.unmap();
      return out;
    },
    destroy() {
      for (const b of owned) b.destroy();
    },
  };
}

class GpuRuntime implements PackedGpuModel {
  readonly variant: LowbitVariant;
  private readonly compiled: CompiledModel;
  private readonly constants: GPUBuffer[];
  private readonly pipelines: PipelineCache = new Map();
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
    // Uploaded once; every plan (batch size) binds the same buffers.
    this.constants = this.compiled.constants.map((data) => uploadConstant(device, data));
  }

  /** The plan for batches of n (created, with its pipelines, on first use; LRU-evicted). */
  planFor(n: number): Promise<GpuPlan> {
    let p = this.plans.get(n);
    if (p) {
      this.plans.delete(n); // re-inserted below: most recently used last
    } else {
      p = createGpuPlan(this.device, buildPlan(this.compiled, n), {
        constants: this.constants,
        pipelines: this.pipelines,
      });
    }
    this.plans.set(n, p);
    while (this.plans.size > this.maxPlans) {
      const [oldest, evicted] = this.plans.entries().next().value as [number, Promise<GpuPlan>];
      this.plans.delete(oldest);
      void evicted.then(
        (g) => g.destroy(),
        () => {},
      );
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
    // One batch at a time: a plan owns its activation buffers.
    const run = this.queue.then(async () => (await this.planFor(n)).run(batch));
    this.queue = run.catch(() => {});
    return run;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.plans.values())
      void p.then(
        (g) => g.destroy(),
        () => {},
      );
    this.plans.clear();
    for (const b of this.constants) b.destroy();
  }
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
