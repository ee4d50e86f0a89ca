import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerInfos, quantizeModel } from '@fracbits/core';
import { createCostModel, uniformBits } from '@fracbits/cost';
import { lenet5 } from '@fracbits/nn';
import { createNodeDevice } from '@fracbits/packed/node';
import { describe, expect, it } from 'vitest';
import { layerShapes, parseBitList } from '../src/commands/profile.js';
import { runCli } from './run-cli.js';

const inCi = !['', 'false', '0', undefined].includes(process.env.CI);
const gpu = await createNodeDevice().then(
  (d) => {
    d.device.destroy();
    return true;
  },
  (err: Error) => {
    if (inCi) throw new Error(`profile tests need Dawn and an adapter in CI: ${err.message}`);
    return false;
  },
);

/** `fracbits profile …` through the whole program; fails the test unless it exits 0. */
async function profile(...args: string[]) {
  const r = await runCli('profile', ...args);
  if (r.code !== 0) throw new Error(r.stderr);
  return r;
}

describe('fracbits profile', () => {
  it('parses bit lists and ranges', () => {
    expect(parseBitList('1..4')).toEqual([1, 2, 3, 4]);
    expect(parseBitList('8,2,4,2')).toEqual([2, 4, 8]);
    expect(() => parseBitList('2..9')).toThrow(
      /--bits: expected a range such as 1..8 or a list such as 2,4,8 of bits in 0..8, got "2..9"/,
    );
    expect(() => parseBitList('2,,3')).toThrow(/--bits/);
  });

  it('lists each layer shape once, the first conv with a float input', () => {
    const lenet = layerShapes('lenet5', [1, 28, 28], 1);
    expect(lenet.map((s) => [s.key, s.floatInput])).toEqual([
      ['conv 1x28x28->6x28x28 k5x5 s1x1 g1', true],
      ['conv 6x14x14->16x10x10 k5x5 s1x1 g1', false],
      ['linear 400->120', false],
      ['linear 120->84', false],
      ['linear 84->10', false],
    ]);
    expect(lenet[0].spec).toMatchObject({
      op: 'conv',
      inShape: [1, 28, 28],
      out: 6,
      kernel: [5, 5],
      padding: [2, 2],
    });
    const resnet = layerShapes('resnet20', [3, 32, 32], 4);
    expect(resnet).toHaveLength(7);
    expect(resnet.find((s) => s.key === 'conv 16x32x32->16x32x32 k3x3 s1x1 g1')!.layers).toHaveLength(6);
    expect(resnet.every((s) => s.spec.batch === 4)).toBe(true);
  });

  it('refuses bad flags before touching the GPU', async () => {
    await expect(profile('--model', 'alexnet')).rejects.toThrow(
      /--model: unknown model "alexnet"; zoo: lenet5/,
    );
    await expect(profile('--bits', '0..12')).rejects.toThrow(/--bits: expected/);
    await expect(profile('--bits', '0')).rejects.toThrow(/--bits: activations need at least one width ≥ 1/);
    await expect(profile('--timing', 'cpu')).rejects.toThrow(
      /--timing: expected auto \| timestamp \| wall, got "cpu"/,
    );
    await expect(profile('--input', '0')).rejects.toThrow(/--input: expected <size>/);
  });

  it.skipIf(!gpu)("writes a table the 'latency' cost model reads", async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fracbits-profile-')), 'lenet5.json');
    const r = await profile(
      '--model',
      'lenet5',
      '--bits',
      '2..3',
      '--repeats',
      '1',
      '--timing',
      'wall',
      '--out',
      out,
      '--json',
    );
    const facts = JSON.parse(r.stdout);
    // conv1: W2, W3, W8 (pinned) on a float input; fc3: W2, W3, W8 × A2, A3; the others W2, W3 × A2, A3.
    expect(facts).toMatchObject({ out, shapes: 5, entries: 3 + 6 + 3 * 4, timing: 'wall' });
    expect(r.stderr).toMatch(/^conv 1x28x28->6x28x28 k5x5 s1x1 g1 \(conv1\): 3 bit pairs/);
    const table = JSON.parse(readFileSync(out, 'utf8'));
    expect(table).toMatchObject({
      format: 'fracbits-latency-table',
      version: 1,
      model: 'lenet5',
      input: [1, 28, 28],
    });
    expect(table.adapter).toBe(facts.adapter);
    expect(table.entries.filter((e: { aBits: number | null }) => e.aBits === null)).toHaveLength(3);

    const model = lenet5();
    quantizeModel(model, { targetBits: 3, inputShape: [1, 28, 28] });
    const infos = layerInfos(model, [1, 28, 28]);
    const latency = createCostModel('latency', { table });
    expect(latency.name).toBe('latency');
    const at = (b: number) => latency.evaluate(infos, uniformBits(infos, b));
    expect(at(3).total).toBeGreaterThan(0);
    // conv1 is pinned at W8 with the image as input: the W8 float-input entry, whatever the bits.
    const conv1 = table.entries.find(
      (e: { wBits: number; aBits: number | null }) => e.wBits === 8 && e.aBits === null,
    );
    expect(at(2).perLayer[0]).toBeCloseTo(conv1.ms, 12);
    expect(at(3).perLayer[0]).toBeCloseTo(conv1.ms, 12);

    // `fracbits cost --cost latency@table=<file>` evaluates the same model from the file.
    const cost = await runCli(
      'cost',
      '--model',
      'lenet5',
      '--bits',
      'uniform:3',
      '--cost',
      `latency@table=${out}`,
      '--json',
    );
    expect(cost.code).toBe(0);
    const fromCli = JSON.parse(cost.stdout).cost;
    expect(fromCli).toMatchObject({ model: 'latency' });
    expect(fromCli.total).toBeCloseTo(at(3).total, 9);
  });
});
