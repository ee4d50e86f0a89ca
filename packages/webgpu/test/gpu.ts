/**
 * The WebGPU backend shared by a test file, or null when this machine has no adapter. In CI
 * (CI set to anything but "false"/"0") a missing adapter is a failure, not a skip: CI runs on
 * lavapipe, so GPU tests must not silently disappear there.
 */
import { describe } from 'vitest';
import type { WebGpuBackend } from '../src/index.js';
import { createNodeBackend } from '../src/node.js';

export const inCi =
  process.env.CI !== undefined &&
  process.env.CI !== '' &&
  process.env.CI !== 'false' &&
  process.env.CI !== '0';

async function acquire(): Promise<WebGpuBackend | null> {
  try {
    return await createNodeBackend();
  } catch (err) {
    if (inCi) throw new Error(`WebGPU tests need an adapter in CI: ${(err as Error).message}`);
    console.warn(`\n[@fracbits/webgpu] SKIPPING GPU tests — ${(err as Error).message}\n`);
    return null;
  }
}

export const gpu: WebGpuBackend | null = await acquire();

/** `describe` when a GPU backend exists, else `describe.skip` (visible as skipped). */
export function describeGpu(name: string, body: () => void): void {
  (gpu ? describe : describe.skip)(name, body);
}
