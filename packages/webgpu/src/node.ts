/**
 * @fracbits/webgpu/node — WebGPU in Node through Dawn (the `webgpu` package). The only module
 * that imports `webgpu`, so browser bundles of @fracbits/webgpu never pull in the Dawn binary.
 */
import { create } from 'webgpu';
import type { GpuWait, WebGpuBackend } from './backend.js';
import { type CreateWebGpuBackendOptions, createWebGpuBackend } from './create.js';

export interface NodeBackendOptions extends Omit<CreateWebGpuBackendOptions, 'gpu'> {
  /** Dawn toggles passed to `create()`, e.g. `['enable-dawn-features=allow_unsafe_apis']` (first call only). */
  dawnFlags?: readonly string[];
  /**
   * Milliseconds the JS thread sleeps between Dawn's polls while it awaits the GPU (default 0.5,
   * or FRACBITS_WEBGPU_POLL_SLEEP_MS); 0 keeps Dawn's busy polling.
   */
  pollSleepMs?: number;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * A `GpuWait` for Node. While a GPU promise is pending, dawn.node polls for completion on the JS
 * thread as fast as the event loop turns, which takes a core away from a CPU adapter (lavapipe)
 * doing the work. This waits the first ~0.2 ms as Dawn does (short readbacks stay fast), then
 * sleeps `sleepMs` between polls (Atomics.wait blocks the thread without spinning).
 */
export function sleepingWait(sleepMs: number): GpuWait {
  return async <T>(pending: Promise<T>): Promise<T> => {
    let settled = false;
    pending.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    const start = performance.now();
    while (!settled) {
      if (performance.now() - start > 0.2) Atomics.wait(sleeper, 0, 0, sleepMs);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return pending;
  };
}

function pollSleep(options: NodeBackendOptions): number {
  const fromEnv = process.env.FRACBITS_WEBGPU_POLL_SLEEP_MS;
  const v = options.pollSleepMs ?? (fromEnv ? Number(fromEnv) : 0.5);
  if (!(v >= 0) || !Number.isFinite(v))
    throw new Error(`createNodeBackend: pollSleepMs must be a number ≥ 0, got ${v}`);
  return v;
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
  const sleepMs = pollSleep(options);
  return createWebGpuBackend({
    ...options,
    gpu,
    adapter,
    wait: sleepMs > 0 ? sleepingWait(sleepMs) : undefined,
  });
}

/** Whether Dawn finds a WebGPU adapter (for `--backend auto`); never throws. */
export async function hasWebGpuAdapter(): Promise<boolean> {
  try {
    return (await nodeGpu().requestAdapter()) !== null;
  } catch {
    return false;
  }
}
