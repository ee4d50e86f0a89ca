import {
  BatchNorm2d,
  ChannelPadShortcut,
  Conv2d,
  createModel,
  type Linear,
  type Module,
  Sequential,
} from '@fracbits/nn';
import { Rng } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { maskChannels, removePrunedChannels } from '../src/index.js';
import { outputOf, randomInput, randomizeNorms, randomMask, relativeDiff } from './helpers.js';

/** Masks, records the masked output, removes, and checks the pruned model computes the same. */
async function checkEquivalence(model: Module, inputShape: number[], mask: Map<string, number[]>, seed = 1) {
  const x = randomInput([2, ...inputShape], new Rng(seed));
  const before = outputOf(model, x);
  await maskChannels(model, mask, { inputShape });
  const masked = outputOf(model, x);
  const paramsBefore = model.parameters().reduce((s, t) => s + t.size, 0);
  const result = await removePrunedChannels(model, mask, { inputShape });
  const pruned = outputOf(model, x);
  x.dispose();
  expect(relativeDiff(masked, pruned)).toBeLessThanOrEqual(1e-5);
  // The mask did change the function (the test is not vacuous).
  expect(relativeDiff(before, masked)).toBeGreaterThan(1e-4);
  const paramsAfter = model.parameters().reduce((s, t) => s + t.size, 0);
  return { result, paramsBefore, paramsAfter };
}

function layer(model: Module, name: string): Module {
  const found = model.namedModules().find(([n]) => n === name);
  if (!found) throw new Error(`no module ${name}`);
  return found[1];
}

describe('removePrunedChannels on float zoo models', () => {
  it('lenet5: removes conv/fc channels, BN-free, and the H·W feature block of a flattened channel', async () => {
    const model = createModel('lenet5', { seed: 3 });
    const mask = new Map([
      ['conv1', [0, 4]],
      ['conv2', [1, 2, 15]],
      ['fc1', [0, 7, 119]],
      ['fc2', [83]],
    ]);
    const { result, paramsBefore, paramsAfter } = await checkEquivalence(model, [1, 28, 28], mask);
    expect(result.removed).toEqual([
      { layer: 'conv1', channels: [0, 4] },
      { layer: 'conv2', channels: [1, 2, 15] },
      { layer: 'fc1', channels: [0, 7, 119] },
      { layer: 'fc2', channels: [83] },
    ]);
    expect(result.kept).toEqual([]);
    const conv2 = layer(model, 'conv2') as Conv2d;
    expect([conv2.inChannels, conv2.outChannels]).toEqual([4, 13]);
    const fc1 = layer(model, 'fc1') as Linear;
    expect([fc1.inFeatures, fc1.outFeatures]).toEqual([13 * 25, 117]);
    expect((layer(model, 'fc3') as Linear).inFeatures).toBe(83);
    // Per layer: removed rows (weights + bias) plus the removed input columns of the kept rows.
    const expected =
      paramsBefore -
      (2 * 26 + (3 * (6 * 25 + 1) + 13 * 2 * 25) + (3 * (400 + 1) + 117 * 3 * 25) + (120 + 1 + 83 * 3) + 10);
    expect(paramsAfter).toBe(expected);
  });

  it('convnet with random masks', async () => {
    const model = createModel('convnet', { seed: 4 });
    const mask = randomMask(model, [1, 28, 28], new Rng(5), 0.3);
    const { result } = await checkEquivalence(model, [1, 28, 28], mask);
    expect(result.kept).toEqual([]);
    for (const [name, channels] of mask) {
      expect(result.removed.find((r) => r.layer === name)?.channels).toEqual(channels);
    }
  });

  it('resnet20 (option A): block-internal channels go; residual channels only when every branch agrees', async () => {
    const model = createModel('resnet20', { seed: 6, inputSize: [3, 8, 8] });
    randomizeNorms(model, new Rng(7));
    const mask = randomMask(model, [3, 8, 8], new Rng(8), 0.25);
    const add = (name: string, c: number) => mask.set(name, [...new Set([...(mask.get(name) ?? []), c])]);
    // Stage-1 residual channel 3 all the way: stem, stage 1 (3), stage 2 (8 + 3), stage 3 (24 + 3).
    add('conv1', 3);
    for (const [stage, c] of [
      [1, 3],
      [2, 11],
      [3, 27],
    ]) {
      for (const b of [0, 1, 2]) add(`layer${stage}.${b}.conv2`, c);
    }
    // A stage-3 channel in the zero-padded region (no stage-2 counterpart): only stage 3's convs.
    for (const b of [0, 1, 2]) add(`layer3.${b}.conv2`, 0);
    // Disagreeing branches: only one block of stage 2 prunes residual channel 20.
    add('layer2.1.conv2', 20);
    mask.set(
      'layer2.0.conv2',
      (mask.get('layer2.0.conv2') ?? []).filter((c) => c !== 20),
    );
    mask.set(
      'layer2.2.conv2',
      (mask.get('layer2.2.conv2') ?? []).filter((c) => c !== 20),
    );
    const { result } = await checkEquivalence(model, [3, 8, 8], mask);

    const removed = (name: string) => result.removed.find((r) => r.layer === name)?.channels ?? [];
    expect(removed('conv1')).toContain(3);
    expect(removed('layer2.2.conv2')).toContain(11);
    expect(removed('layer3.1.conv2')).toEqual(expect.arrayContaining([0, 27]));
    // Every block-internal conv1 channel is independent: all removed.
    for (const [name, channels] of mask) if (/\.conv1$/.test(name)) expect(removed(name)).toEqual(channels);
    const kept = result.kept.find((k) => k.layer === 'layer2.1.conv2' && k.channels.includes(20));
    expect(kept?.reason).toMatch(/shares its channel with unpruned/);
    // The option-A shortcuts are still ChannelPadShortcuts, matching the smaller stages.
    const pad = layer(model, 'layer3.0.downsample') as ChannelPadShortcut;
    const bn = layer(model, 'layer3.0.bn2') as BatchNorm2d;
    expect(pad).toBeInstanceOf(ChannelPadShortcut);
    expect(pad.outChannels).toBe(bn.numFeatures);
    expect(bn.numFeatures).toBeLessThan(64);
  });

  it('resnet20 (option A): a shortcut keeps padding as many zeros before its input as after', async () => {
    const model = createModel('resnet20', { seed: 6, inputSize: [3, 8, 8] });
    randomizeNorms(model, new Rng(7));
    // Stage 3 channels 0–15 are zero padding before stage 2's 32 channels, 48–63 after: pruning
    // 3 before and 1 after would leave 13 before and 15 after.
    const mask = new Map(
      ['layer3.0.conv2', 'layer3.1.conv2', 'layer3.2.conv2'].map((n) => [n, [0, 1, 2, 63]]),
    );
    const { result } = await checkEquivalence(model, [3, 8, 8], mask);
    expect(result.removed.find((r) => r.layer === 'layer3.0.conv2')?.channels).toEqual([1, 2, 63]);
    expect(result.kept.find((k) => k.layer === 'layer3.0.conv2')).toEqual({
      layer: 'layer3.0.conv2',
      channels: [0],
      reason: 'layer3.0.downsample pads floor(extra/2) zero channels before its input',
    });
    const pad = layer(model, 'layer3.0.downsample') as ChannelPadShortcut;
    expect([pad.inChannels, pad.outChannels]).toEqual([32, 61]);
  });

  it('resnet20b (1×1 projections): a residual channel goes with its projection', async () => {
    const model = createModel('resnet20b', { seed: 9, inputSize: [3, 8, 8] });
    randomizeNorms(model, new Rng(10));
    const mask = new Map<string, number[]>([['layer2.0.conv1', [0, 5]]]);
    for (const name of ['layer2.0.conv2', 'layer2.0.downsample.0', 'layer2.1.conv2', 'layer2.2.conv2'])
      mask.set(name, [7]);
    mask.set('layer3.0.downsample.0', [1]); // the branch disagrees with stage 3's convs
    const { result } = await checkEquivalence(model, [3, 8, 8], mask);
    expect(result.removed.map((r) => r.layer)).toEqual([
      'layer2.0.conv1',
      'layer2.0.conv2',
      'layer2.0.downsample.0',
      'layer2.1.conv2',
      'layer2.2.conv2',
    ]);
    expect(result.kept).toEqual([
      {
        layer: 'layer3.0.downsample.0',
        channels: [1],
        reason: expect.stringMatching(/layer3\.0\.conv2\[1\]/),
      },
    ]);
    expect((layer(model, 'layer3.0.conv1') as Conv2d).inChannels).toBe(31);
  });

  it('mobilenetv2: a depthwise channel goes only together with its producer', async () => {
    const model = createModel('mobilenetv2', { seed: 11, inputSize: [3, 16, 16], numClasses: 10 });
    randomizeNorms(model, new Rng(12));
    const mask = randomMask(model, [3, 16, 16], new Rng(13), 0.4);
    const { result } = await checkEquivalence(model, [3, 16, 16], mask);
    // features.2: expansion conv.0.0, depthwise conv.1.0 — removed exactly where both are pruned.
    const expand = new Set(mask.get('features.2.conv.0.0') ?? []);
    const dw = mask.get('features.2.conv.1.0') ?? [];
    const both = dw.filter((c) => expand.has(c));
    expect(both.length).toBeGreaterThan(0);
    expect(result.removed.find((r) => r.layer === 'features.2.conv.1.0')?.channels).toEqual(both);
    const dwConv = layer(model, 'features.2.conv.1.0') as Conv2d;
    expect(dwConv.groups).toBe(dwConv.outChannels);
    expect(dwConv.outChannels).toBe(96 - both.length);
    const lonely = dw.find((c) => !expand.has(c));
    if (lonely !== undefined) {
      const k = result.kept.find((e) => e.layer === 'features.2.conv.1.0' && e.channels.includes(lonely));
      expect(k?.reason).toMatch(/features\.2\.conv\.0\.0/);
    }
  });

  it('keeps one channel of a fully pruned layer and rejects bad input', async () => {
    const model = new Sequential(
      new Conv2d(1, 3, 3, { rng: new Rng(1) }),
      new BatchNorm2d(3),
      new Conv2d(3, 2, 1),
    );
    const r = await removePrunedChannels(model, { '0': [0, 1, 2] }, { inputShape: [1, 5, 5] });
    expect(r.removed).toEqual([{ layer: '0', channels: [1, 2] }]);
    expect(r.kept).toEqual([{ layer: '0', channels: [0], reason: '0 keeps at least one output channel' }]);
    await expect(removePrunedChannels(model, { nope: [0] }, { inputShape: [1, 5, 5] })).rejects.toThrow(
      /removePrunedChannels: no prunable layer "nope"/,
    );
    await expect(removePrunedChannels(model, { '0': [4] }, { inputShape: [1, 5, 5] })).rejects.toThrow(
      /layer "0" has 1 output channels; got channel 4/,
    );
  });
});
