/** Device acquisition and loss: clear errors, with or without an adapter. */
import { unaryKernel } from '@fracbits/kernels';
import { expect, it } from 'vitest';
import { createWebGpuBackend } from '../src/index.js';
import { createNodeBackend, hasWebGpuAdapter, sleepingWait } from '../src/node.js';
import { describeGpu, gpu } from './gpu.js';

it('explains where WebGPU is missing', async () => {
  await expect(createWebGpuBackend()).rejects.toThrow(/navigator\.gpu is undefined.*createNodeBackend/);
  const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
  await expect(createWebGpuBackend({ gpu: noAdapter })).rejects.toThrow(/no WebGPU adapter/);
});

it('sleepingWait resolves and rejects like the promise it waits for', async () => {
  const wait = sleepingWait(0.5);
  const later = <T>(ms: number, f: () => T) =>
    new Promise<T>((resolve) => setTimeout(() => resolve(f()), ms));
  expect(await wait(later(5, () => 42))).toBe(42);
  expect(await wait(Promise.resolve('now'))).toBe('now');
  await expect(wait(later(3, () => Promise.reject(new Error('gpu said no'))))).rejects.toThrow('gpu said no');
});

it('hasWebGpuAdapter answers without throwing', async () => {
  expect(await hasWebGpuAdapter()).toBe(gpu !== null);
});

describeGpu('device lifetime', () => {
  it('refuses features the adapter lacks', async () => {
    await expect(createNodeBackend({ requiredFeatures: ['texture-compression-astc'] })).rejects.toThrow(
      /lacks required feature\(s\) texture-compression-astc/,
    );
  });

  it('turns a lost device into errors that say so', async () => {
    const backend = await createNodeBackend();
    const x = backend.allocate('float32', 4);
    const y = backend.allocate('float32', 4);
    backend.device.destroy();
    await backend.device.lost;
    expect(() => backend.launch(unaryKernel, [x, y], { n: 4, alpha: 0, beta: 0 }, { op: 'relu' })).toThrow(
      /device was lost \(destroyed\)/,
    );
    await expect(backend.read(x)).rejects.toThrow(/device was lost/);
  });

  it('refuses use after destroy()', async () => {
    const backend = await createNodeBackend();
    backend.destroy();
    expect(() => backend.allocate('float32', 1)).toThrow(/backend was destroyed/);
  });
});
