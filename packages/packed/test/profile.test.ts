import { describe, expect, it } from 'vitest';
import { lookupLatency, profileLayers } from '../src/index.js';
import { createNodeDevice } from '../src/node.js';

const inCi = !['', 'false', '0', undefined].includes(process.env.CI);
const gpu = await createNodeDevice().catch((err: Error) => {
  if (inCi) throw new Error(`profile tests need Dawn and an adapter in CI: ${err.message}`);
  return null;
});

describe.skipIf(!gpu)('profileLayers', () => {
  it('times every layer at every bit pair and writes a JSON lookup table', async () => {
    const device = gpu!.device;
    const seen: string[] = [];
    const table = await profileLayers(
      device,
      [
        { name: 'conv', op: 'conv', inShape: [3, 9, 9], out: 8, kernel: 3, padding: 1, batch: 2 },
        { name: 'dw', op: 'conv', inShape: [4, 6, 6], out: 4, kernel: 3, groups: 4 },
        { name: 'fc', op: 'linear', inShape: [37], out: 5 },
      ],
      [
        [2, 4],
        [8, 8],
        [4, null],
        [0, 3],
      ],
      { wgslLanguageFeatures: gpu!.wgslLanguageFeatures, repeats: 2, onEntry: (e) => seen.push(e.layer) },
    );
    expect(table.entries).toHaveLength(12);
    expect(seen).toHaveLength(12);
    expect(table.timing).toBe(device.features.has('timestamp-query') ? 'timestamp' : 'wall');
    for (const e of table.entries) expect(e.ms).toBeGreaterThan(0);
    const back = JSON.parse(JSON.stringify(table));
    expect(back).toEqual(table);
    expect(lookupLatency(back, 'conv', 2, 4)).toBe(table.entries[0].ms);
    expect(lookupLatency(back, 'fc', 4, null)).toBe(table.entries[10].ms);
    expect(lookupLatency(back, 'fc', 3, 3)).toBeUndefined();
  });

  it('times by wall clock on request', async () => {
    const table = await profileLayers(
      gpu!.device,
      [{ name: 'fc', op: 'linear', inShape: [16], out: 4 }],
      [[3, 3]],
      {
        timing: 'wall',
        repeats: 1,
      },
    );
    expect(table.timing).toBe('wall');
    expect(table.entries[0].ms).toBeGreaterThan(0);
  });

  it('names the layer and bits of a shape it cannot build', async () => {
    await expect(
      profileLayers(
        gpu!.device,
        [{ name: 'bad', op: 'conv', inShape: [3, 2, 2], out: 4, kernel: 5 }],
        [[2, 2]],
      ),
    ).rejects.toThrow(/profileLayers: layer "bad" at W2A2: .*window that fits the 2×2 input/);
  });
});
