/**
 * Runs a kernel descriptor's WGSL directly on Dawn (the `webgpu` package) so tests can compare it
 * with the CPU twin — the shader itself, not a backend. `webgpu` is a dependency of
 * @fracbits/webgpu, not of this package, so it is borrowed from there when present. Without an
 * adapter the GPU comparisons are skipped, except in CI (CI runs on lavapipe), where that fails.
 */
import { createRequire } from 'node:module';
import {
  type CpuBuffer,
  type Defines,
  instantiate,
  type KernelDescriptor,
  type Params,
  packParams,
} from '../src/index.js';

const inCi = !['', 'false', '0', undefined].includes(process.env.CI);

export interface Dawn {
  readonly device: GPUDevice;
  /** Dawn's GPU object: it must stay referenced while the device is used. */
  readonly keepAlive: unknown;
}

export async function openDawn(): Promise<Dawn | null> {
  try {
    const require = createRequire(new URL('../../webgpu/package.json', import.meta.url));
    const mod = (await import(require.resolve('webgpu'))) as {
      create(flags: string[]): GPU;
      globals: Record<string, unknown>;
    };
    Object.assign(globalThis, mod.globals);
    const gpu = mod.create([]);
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter');
    return { device: await adapter.requestDevice(), keepAlive: gpu };
  } catch (err) {
    if (inCi) throw new Error(`kernel GPU tests need Dawn and an adapter in CI: ${(err as Error).message}`);
    return null;
  }
}

/**
 * Launches `kernel` once on copies of `buffers` (in binding order) and returns every buffer read
 * back, as the same typed arrays.
 */
export async function runOnDawn(
  dawn: Dawn,
  kernel: KernelDescriptor,
  buffers: readonly CpuBuffer[],
  params: Params,
  defines: Defines = {},
): Promise<CpuBuffer[]> {
  const { device } = dawn;
  const shader = instantiate(kernel, defines);
  const module = device.createShaderModule({ code: shader.code });
  const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  if (errors.length > 0) throw new Error(`${kernel.name}: ${errors.map((m) => m.message).join('\n')}`);
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module, entryPoint: shader.entryPoint },
  });
  const gpuBuffers = buffers.map((data) => {
    const b = device.createBuffer({
      size: Math.max(16, Math.ceil(data.byteLength / 4) * 4),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
    if (data.byteLength > 0) device.queue.writeBuffer(b, 0, data);
    return b;
  });
  const uniform = device.createBuffer({
    size: packParams(kernel.shader, params).byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(uniform, 0, packParams(kernel.shader, params));
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [...gpuBuffers, uniform].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(...kernel.dispatch(params, defines));
  pass.end();
  const reads = gpuBuffers.map((b) => {
    const r = device.createBuffer({ size: b.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.copyBufferToBuffer(b, 0, r, 0, b.size);
    return r;
  });
  device.queue.submit([encoder.finish()]);
  const out: CpuBuffer[] = [];
  for (const [i, r] of reads.entries()) {
    await r.mapAsync(GPUMapMode.READ);
    const bytes = r.getMappedRange().slice(0, buffers[i].byteLength);
    const Ctor = buffers[i].constructor as new (b: ArrayBuffer) => CpuBuffer;
    out.push(new Ctor(bytes));
    r.unmap();
    r.destroy();
  }
  for (const b of [...gpuBuffers, uniform]) b.destroy();
  return out;
}

/** Runs the CPU twin on copies of `buffers` and returns them. */
export function runTwin(
  kernel: KernelDescriptor,
  buffers: readonly CpuBuffer[],
  params: Params,
  defines: Defines = {},
): CpuBuffer[] {
  const copies = buffers.map((b) => b.slice());
  kernel.cpu(copies, params, defines);
  return copies;
}

const words = (b: CpuBuffer) => new Uint32Array(b.buffer, b.byteOffset, b.length);

/**
 * Elements where GPU and twin differ: with `tol` 0, any difference in the 32-bit words (bit-exact,
 * NaN payloads included); otherwise by more than `tol`·max(1, |twin|). At most 5 are listed.
 */
export function differences(gpu: CpuBuffer, twin: CpuBuffer, tol = 0): string[] {
  const bad: string[] = [];
  const [gw, tw] = [words(gpu), words(twin)];
  for (let i = 0; i < twin.length && bad.length < 5; i++) {
    const a = gpu[i];
    const b = twin[i];
    const same =
      tol === 0
        ? gw[i] === tw[i]
        : Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)) || (Number.isNaN(a) && Number.isNaN(b));
    if (!same) bad.push(`[${i}] gpu ${a} twin ${b}`);
  }
  return bad;
}
