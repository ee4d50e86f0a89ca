/**
 * The WebGPU backend: runs any kernel descriptor of @fracbits/kernels on a GPUDevice.
 *
 * Memory: tensors' buffers come from a size-bucketed pool (pool.ts) and return to it on release.
 * Execution: launches are recorded into one open command encoder and compute pass, and submitted
 * as one command buffer on `flush()`, on `read()`/`sync()`, or after `maxDispatchesPerSubmit`
 * commands. Launch params go to a per-batch uniform arena bound with dynamic offsets (arena.ts),
 * so steady-state launches create no GPU objects at all (pipelines and bind groups are cached).
 *
 * Ordering hazard: `queue.writeBuffer` runs at the next submit, *before* the commands already
 * recorded in the open encoder. Every slab remembers the batch (epoch) that last used it; a write
 * to a slab the open batch uses is staged through an arena and copied inside the encoder, in
 * order, instead. Pool reuse needs nothing more: recorded commands keep their order on the single
 * queue, so a slab released and handed out again is only written after earlier readers ran.
 */
import {
  type Defines,
  type KernelDescriptor,
  type Params,
  packParams,
  SUBGROUPS_OF_8,
} from '@fracbits/kernels';
import {
  type Backend,
  type BackendBuffer,
  BYTES_PER_ELEMENT,
  type DType,
  type MemoryStats,
  type TypedArray,
  typedArrayFor,
} from '@fracbits/tensor';
import { describeAdapter, isSoftwareAdapter } from './adapter.js';
import { StagingArena } from './arena.js';
import { BindGroupCache, type BindGroupStats } from './bind-groups.js';
import { BufferUsage, MapMode, UNIFORM_ALIGNMENT } from './constants.js';
import { WebGpuError } from './errors.js';
import { PipelineCache } from './pipelines.js';
import { BufferPool, type PoolStats, type Slab } from './pool.js';
import { GpuProfiler, type KernelProfile } from './profiler.js';

export interface WebGpuBackendOptions {
  /**
   * Commands (dispatches and copies) recorded before an automatic submit. Default 64, or the
   * environment variable FRACBITS_WEBGPU_BATCH.
   */
  maxDispatchesPerSubmit?: number;
  /**
   * Bytes of released buffers the pool keeps for reuse; beyond it the oldest are destroyed.
   * Default 2 GiB, or FRACBITS_WEBGPU_POOL_MB (in MiB).
   */
  maxPooledBytes?: number;
  /**
   * Submit after every launch, so that a GPU validation error names the exact kernel (slow;
   * for debugging). Default false, or FRACBITS_WEBGPU_VALIDATE=1.
   */
  validate?: boolean;
  /**
   * How to await a GPU promise (mapAsync, onSubmittedWorkDone). Default: a plain `await`. The
   * Node entry passes one that sleeps between Dawn's polls (see `sleepingWait` in node.ts).
   */
  wait?: GpuWait;
  /** The GPU object the adapter came from (for WGSL language features). */
  gpu?: GPU;
  /** The adapter's info, for `description` (default: the device's `adapterInfo`). */
  adapterInfo?: GPUAdapterInfo;
}

/** Counters beyond `memory()`, for tests, benchmarks and diagnostics. */
export interface WebGpuStats {
  readonly pool: PoolStats;
  readonly bindGroups: BindGroupStats;
  readonly pipelines: number;
  readonly submits: number;
  /** Commands recorded (dispatches and copies). */
  readonly commands: number;
  /** Writes to a buffer the open batch uses, staged and copied in order inside the encoder. */
  readonly orderedWrites: number;
  /** Writes that went straight to `queue.writeBuffer`. */
  readonly directWrites: number;
}

/** Awaits a promise of the GPU (the hook lets Node avoid Dawn's busy polling). */
export type GpuWait = <T>(pending: Promise<T>) => Promise<T>;

/** A tensor buffer: a handle on a pooled slab. */
export interface WebGpuBuffer extends BackendBuffer {
  readonly slab: Slab;
  released: boolean;
}

const UPLOAD_ARENA_BYTES = 256 * 1024;

function env(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

function positiveNumber(value: number | undefined, envName: string, scale: number, fallback: number): number {
  const fromEnv = env(envName);
  const v = value ?? (fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) * scale : fallback);
  if (!(v > 0) || !Number.isFinite(v))
    throw new Error(`webgpu backend: ${envName} / option must be a positive number, got ${String(v)}`);
  return v;
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  readonly description: string;
  /** Whether the adapter is a CPU implementation (lavapipe, SwiftShader, …). */
  readonly software: boolean;
  readonly maxDispatchesPerSubmit: number;
  readonly validate: boolean;

  private readonly pool: BufferPool;
  private readonly readPool: BufferPool;
  private readonly uniforms: StagingArena;
  private readonly uploads: StagingArena;
  private readonly pipelines: PipelineCache;
  private readonly bindGroups: BindGroupCache;
  private readonly gpu: GPU | undefined;
  private readonly wait: GpuWait;
  /** The adapter's smallest subgroup size (0: unknown). */
  private readonly subgroupMinSize: number;

  private profiler: GpuProfiler | null = null;
  /** The last profiler, kept after `profile(false)` for its report. */
  private profiled: GpuProfiler | null = null;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** Number of the open batch; a slab with this epoch is used by not-yet-submitted commands. */
  private epoch = 0;
  private batchCommands = 0;
  private batchKernels: string[] = [];
  private readonly destroyAfterSubmit: GPUBuffer[] = [];

  private readonly errors: Error[] = [];
  private readonly checks = new Set<Promise<unknown>>();
  private lostInfo: GPUDeviceLostInfo | null = null;
  private destroyed = false;

  private submits = 0;
  private commands = 0;
  private orderedWrites = 0;
  private directWrites = 0;

  constructor(
    readonly device: GPUDevice,
    options: WebGpuBackendOptions = {},
  ) {
    const info = options.adapterInfo ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const infoFields = {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
    };
    this.description = describeAdapter(infoFields);
    this.software = isSoftwareAdapter(infoFields);
    this.gpu = options.gpu;
    this.wait = options.wait ?? ((pending) => pending);
    this.subgroupMinSize =
      (info as (GPUAdapterInfo & { subgroupMinSize?: number }) | undefined)?.subgroupMinSize ?? 0;
    this.maxDispatchesPerSubmit = Math.floor(
      positiveNumber(options.maxDispatchesPerSubmit, 'FRACBITS_WEBGPU_BATCH', 1, 64),
    );
    this.validate = options.validate ?? env('FRACBITS_WEBGPU_VALIDATE') === '1';
    const maxPooled = positiveNumber(options.maxPooledBytes, 'FRACBITS_WEBGPU_POOL_MB', 2 ** 20, 2 ** 31);

    this.pool = new BufferPool(
      device,
      BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
      'fracbits tensor',
      maxPooled,
    );
    this.readPool = new BufferPool(
      device,
      BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      'fracbits readback',
      64 * 2 ** 20,
    );
    this.uniforms = new StagingArena(
      device,
      BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      'fracbits params',
      Math.max(64 * 1024, this.maxDispatchesPerSubmit * UNIFORM_ALIGNMENT),
      UNIFORM_ALIGNMENT,
    );
    this.uploads = new StagingArena(
      device,
      BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
      'fracbits uploads',
      UPLOAD_ARENA_BYTES,
      4,
    );
    this.bindGroups = new BindGroupCache(device);
    this.pipelines = new PipelineCache(device, {
      hasFeature: (f) => this.hasFeature(f),
      onError: (e) => this.errors.push(e),
      track: (p) => this.track(p),
    });

    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.errors.push(new WebGpuError(`uncaptured WebGPU ${error.constructor.name}: ${error.message}`));
    });
    device.lost.then((lost) => {
      this.lostInfo = lost;
    });
  }

  // ---- memory --------------------------------------------------------------------------------

  allocate(dtype: DType, size: number): WebGpuBuffer {
    this.usable('allocate');
    if (!Number.isInteger(size) || size < 0)
      throw new Error(`webgpu allocate: size must be a non-negative integer, got ${size}`);
    // Zero-element tensors still get a (4-byte) buffer: WebGPU bindings cannot be empty.
    const bytes = Math.max(BYTES_PER_ELEMENT, size * BYTES_PER_ELEMENT);
    if (bytes > this.device.limits.maxBufferSize) {
      throw new Error(
        `webgpu allocate: ${size} ${dtype} elements (${bytes} bytes) exceed the device's maxBufferSize of ${this.device.limits.maxBufferSize} bytes`,
      );
    }
    return { backend: this, dtype, size, slab: this.pool.acquire(bytes), released: false };
  }

  release(buffer: BackendBuffer): void {
    const b = this.handle(buffer, 'release');
    b.released = true;
    if (this.destroyed) return;
    for (const slab of this.pool.release(b.slab)) this.destroySlab(slab);
  }

  write(buffer: BackendBuffer, data: TypedArray): void {
    this.usable('write');
    const b = this.handle(buffer, 'write');
    if (data.length > b.size)
      throw new Error(`webgpu write: ${data.length} elements do not fit a buffer of ${b.size}`);
    if (data.length === 0) return;
    const bytes = data.byteLength;
    if (b.slab.epoch === this.epoch && !this.uploads.fits(bytes)) this.flush();
    if (b.slab.epoch !== this.epoch) {
      // Not used by recorded commands: the queue write may run before them without harm.
      this.device.queue.writeBuffer(b.slab.buffer, 0, data.buffer, data.byteOffset, bytes);
      this.directWrites++;
      return;
    }
    const offset = this.uploads.push(data);
    this.encoderOutsidePass().copyBufferToBuffer(this.uploads.buffer, offset, b.slab.buffer, 0, bytes);
    this.orderedWrites++;
    this.recorded('write');
  }

  copy(src: BackendBuffer, dst: BackendBuffer, size: number): void {
    this.usable('copy');
    const s = this.handle(src, 'copy');
    const d = this.handle(dst, 'copy');
    if (size > s.size || size > d.size)
      throw new Error(
        `webgpu copy: ${size} elements exceed a buffer (source ${s.size}, destination ${d.size})`,
      );
    if (size <= 0 || s.slab === d.slab) return;
    this.encoderOutsidePass().copyBufferToBuffer(
      s.slab.buffer,
      0,
      d.slab.buffer,
      0,
      size * BYTES_PER_ELEMENT,
    );
    s.slab.epoch = this.epoch;
    d.slab.epoch = this.epoch;
    this.recorded('copy');
  }

  async read(buffer: BackendBuffer): Promise<TypedArray> {
    this.usable('read');
    const b = this.handle(buffer, 'read');
    const bytes = Math.max(BYTES_PER_ELEMENT, b.size * BYTES_PER_ELEMENT);
    const staging = this.readPool.acquire(bytes);
    this.encoderOutsidePass().copyBufferToBuffer(b.slab.buffer, 0, staging.buffer, 0, bytes);
    b.slab.epoch = this.epoch;
    this.batchKernels.push('read');
    this.flush();
    try {
      await this.wait(staging.buffer.mapAsync(MapMode.READ, 0, bytes));
    } catch (err) {
      await this.settle();
      this.throwErrors('read');
      throw new WebGpuError(`webgpu read: mapping the readback buffer failed: ${(err as Error).message}`);
    }
    const out = typedArrayFor(b.dtype, b.size);
    new Uint8Array(out.buffer).set(
      new Uint8Array(staging.buffer.getMappedRange(0, bytes), 0, b.size * BYTES_PER_ELEMENT),
    );
    staging.buffer.unmap();
    for (const evicted of this.readPool.release(staging)) evicted.buffer.destroy();
    await this.settle();
    this.throwErrors('read');
    return out;
  }

  memory(): MemoryStats {
    const p = this.pool.stats();
    return { liveBuffers: p.inUseBuffers, liveBytes: p.inUseBytes, pooledBytes: p.pooledBytes };
  }

  stats(): WebGpuStats {
    return {
      pool: this.pool.stats(),
      bindGroups: this.bindGroups.stats(),
      pipelines: this.pipelines.size,
      submits: this.submits,
      commands: this.commands,
      orderedWrites: this.orderedWrites,
      directWrites: this.directWrites,
    };
  }

  /** Destroys every pooled (free) buffer; live tensors are untouched. */
  trim(): void {
    this.flush();
    for (const slab of this.pool.trim(0)) this.destroySlab(slab);
    for (const slab of this.readPool.trim(0)) slab.buffer.destroy();
  }

  // ---- execution -----------------------------------------------------------------------------

  launch(
    requested: KernelDescriptor,
    buffers: readonly BackendBuffer[],
    params: Params,
    defines: Defines = {},
  ): void {
    this.usable(`launch of ${requested.name}`);
    // A descriptor may name a faster variant for this device and launch (same bindings and params).
    const kernel = requested.variant?.(params, defines, this) ?? requested;
    this.throwErrors(`launch of ${kernel.name}`);
    const bindings = kernel.shader.bindings;
    if (buffers.length !== bindings.length) {
      throw new Error(
        `kernel ${kernel.name}: expected ${bindings.length} buffers (${bindings.map((b) => b.name).join(', ')}), got ${buffers.length}`,
      );
    }
    const entry = this.pipelines.get(kernel, defines);
    if (entry.error) throw entry.error;
    const packed = entry.paramsBytes > 0 ? packParams(kernel.shader, params) : null;
    const [x, y, z] = kernel.dispatch(params, defines);
    const maxGroups = this.device.limits.maxComputeWorkgroupsPerDimension;
    for (const n of [x, y, z]) {
      if (!Number.isInteger(n) || n < 0 || n > maxGroups) {
        throw new Error(
          `kernel ${entry.label}: dispatch [${x}, ${y}, ${z}] is invalid (each dimension an integer in 0..${maxGroups})`,
        );
      }
    }
    const slabs: Slab[] = [];
    const bindingBytes: number[] = [];
    const maxBinding = this.device.limits.maxStorageBufferBindingSize;
    for (let i = 0; i < buffers.length; i++) {
      const b = this.handle(buffers[i], `kernel ${kernel.name}`);
      for (let j = 0; j < i; j++) {
        if (slabs[j] === b.slab && (entry.access[i] === 'read_write' || entry.access[j] === 'read_write')) {
          throw new Error(
            `kernel ${entry.label}: the same buffer is bound to "${bindings[j].name}" and "${bindings[i].name}", and one of them is written (WebGPU forbids writable aliasing)`,
          );
        }
      }
      let bound = b.slab.bytes;
      if (bound > maxBinding) {
        bound = Math.max(BYTES_PER_ELEMENT, b.size * BYTES_PER_ELEMENT);
        if (bound > maxBinding) {
          throw new Error(
            `kernel ${entry.label}: buffer "${bindings[i].name}" of ${bound} bytes exceeds the device's maxStorageBufferBindingSize of ${maxBinding}`,
          );
        }
      }
      slabs.push(b.slab);
      bindingBytes.push(bound);
    }
    if (x === 0 || y === 0 || z === 0) return;

    let offsets: number[] | undefined;
    if (packed) {
      if (!this.uniforms.fits(packed.byteLength)) this.flush();
      offsets = [this.uniforms.push(packed)];
    }
    const group = this.bindGroups.get(
      entry.layout,
      entry.layoutId,
      slabs,
      bindingBytes,
      entry.paramsBytes > 0 ? { buffer: this.uniforms.buffer, bytes: entry.paramsBytes } : null,
    );
    if (this.profiler?.full) this.flush();
    const pass = this.profiler
      ? this.encoderOutsidePass().beginComputePass({ timestampWrites: this.profiler.next(entry.label) })
      : this.computePass();
    pass.setPipeline(entry.pipeline);
    if (offsets) pass.setBindGroup(0, group, offsets);
    else pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) pass.end(); // one pass per dispatch, so its timestamps time it alone
    for (const s of slabs) s.epoch = this.epoch;
    this.recorded(entry.label);
  }

  /** Submits the recorded commands (no-op when nothing is recorded). */
  flush(): void {
    if (this.destroyed || this.encoder === null) return;
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    const queue = this.device.queue;
    this.uniforms.commit(queue);
    this.uploads.commit(queue);
    const kernels = this.batchKernels;
    const afterSubmit = this.profiler?.resolve(this.encoder);
    this.device.pushErrorScope('validation');
    queue.submit([this.encoder.finish()]);
    afterSubmit?.();
    this.track(
      this.device.popErrorScope().then((err) => {
        if (!err) return;
        const names = [...new Set(kernels)];
        const which =
          names.length === 1
            ? `kernel ${names[0]}`
            : `a batch of ${kernels.length} commands (${names.join(', ')})`;
        const hint =
          names.length === 1
            ? ''
            : '; set FRACBITS_WEBGPU_VALIDATE=1 to submit per kernel and name the failing one';
        this.errors.push(
          new WebGpuError(`WebGPU validation error in ${which}: ${err.message}${hint}`, names, 'batch'),
        );
      }),
    );
    this.encoder = null;
    this.epoch++;
    this.batchCommands = 0;
    this.batchKernels = [];
    this.submits++;
    // Buffers evicted while recorded commands used them: destroying after submit is safe.
    for (const b of this.destroyAfterSubmit.splice(0)) b.destroy();
  }

  /**
   * Starts (true) or stops (false) per-kernel GPU timing with timestamp queries (needs the
   * 'timestamp-query' feature). While on, every dispatch gets its own compute pass, which costs a
   * little; `profileReport()` returns the totals.
   */
  profile(enabled: boolean): void {
    this.usable('profile');
    this.flush();
    if (enabled && !this.profiler) {
      if (!this.device.features.has('timestamp-query')) {
        throw new Error("webgpu profile: the device lacks the 'timestamp-query' feature");
      }
      this.profiler = new GpuProfiler(this.device, Math.max(this.maxDispatchesPerSubmit, 64));
      this.profiled = this.profiler;
    } else if (!enabled && this.profiler) {
      this.profiler = null;
    }
  }

  /** GPU time per kernel since `profile(true)`, slowest first (waits for pending timestamps). */
  async profileReport(): Promise<KernelProfile[]> {
    this.flush();
    return this.profiled ? this.profiled.report() : [];
  }

  async sync(): Promise<void> {
    this.usable('sync');
    this.flush();
    await this.wait(this.device.queue.onSubmittedWorkDone());
    await this.settle();
    this.throwErrors('sync');
  }

  /**
   * Compiles a kernel's pipeline ahead of time and waits for the result: rejects with the kernel
   * name and the WGSL compiler's messages if the shader does not compile or validate.
   */
  async compile(kernel: KernelDescriptor, defines: Defines = {}): Promise<void> {
    this.usable(`compile of ${kernel.name}`);
    await this.pipelines.compile(kernel, defines);
  }

  hasFeature(feature: string): boolean {
    if (this.device.features.has(feature)) return true;
    if (feature === SUBGROUPS_OF_8) return this.device.features.has('subgroups') && this.subgroupMinSize >= 8;
    const language = (this.gpu as (GPU & { wgslLanguageFeatures?: ReadonlySet<string> }) | undefined)
      ?.wgslLanguageFeatures;
    return language?.has(feature) ?? false;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.flush();
    this.destroyed = true;
    this.bindGroups.clear();
    for (const slab of this.pool.trim(0)) slab.buffer.destroy();
    for (const slab of this.readPool.trim(0)) slab.buffer.destroy();
    this.uniforms.destroy();
    this.uploads.destroy();
    this.device.destroy();
  }

  // ---- internals -----------------------------------------------------------------------------

  private handle(buffer: BackendBuffer, where: string): WebGpuBuffer {
    if (buffer.backend !== this)
      throw new Error(`webgpu ${where}: the buffer belongs to the ${buffer.backend.name} backend`);
    const b = buffer as WebGpuBuffer;
    if (b.released) throw new Error(`webgpu ${where}: the buffer was already released`);
    return b;
  }

  private usable(where: string): void {
    if (this.destroyed) throw new Error(`webgpu ${where}: the backend was destroyed`);
    if (this.lostInfo) {
      throw new WebGpuError(
        `webgpu ${where}: the WebGPU device was lost (${this.lostInfo.reason}): ${this.lostInfo.message}`,
      );
    }
  }

  /** Throws (and clears) the GPU errors reported so far, rejected pipelines first (the cause). */
  private throwErrors(where: string): void {
    if (this.errors.length === 0) return;
    const rank = (e: Error) => (e instanceof WebGpuError && e.kind === 'pipeline' ? 0 : 1);
    const errors = this.errors.splice(0).sort((a, b) => rank(a) - rank(b));
    if (errors.length === 1) throw errors[0];
    throw new WebGpuError(
      `${errors.length} WebGPU errors before ${where}:\n${errors.map((e) => `- ${e.message}`).join('\n')}`,
      errors.flatMap((e) => (e instanceof WebGpuError ? e.kernels : [])),
      errors[0] instanceof WebGpuError ? errors[0].kind : 'uncaptured',
    );
  }

  private track(check: Promise<unknown>): void {
    const p = check.catch((e: Error) => this.errors.push(e)).finally(() => this.checks.delete(p));
    this.checks.add(p);
  }

  /** Waits for outstanding error checks (pipeline creation, submits). */
  private async settle(): Promise<void> {
    while (this.checks.size > 0) await Promise.all([...this.checks]);
  }

  private ensureEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: `fracbits batch ${this.epoch}` });
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.ensureEncoder().beginComputePass();
    return this.pass;
  }

  /** The open encoder with no compute pass open (copies are recorded outside passes). */
  private encoderOutsidePass(): GPUCommandEncoder {
    const encoder = this.ensureEncoder();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    return encoder;
  }

  private recorded(label: string): void {
    this.commands++;
    this.batchCommands++;
    this.batchKernels.push(label);
    if (this.validate || this.batchCommands >= this.maxDispatchesPerSubmit) this.flush();
  }

  private destroySlab(slab: Slab): void {
    this.bindGroups.evict(slab);
    if (slab.epoch === this.epoch && this.encoder !== null) this.destroyAfterSubmit.push(slab.buffer);
    else slab.buffer.destroy();
  }
}
