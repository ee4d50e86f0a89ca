import { sizeOf } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import {
  type Conv2d,
  createModel,
  describeLayers,
  type Linear,
  listModels,
  type Module,
} from '../src/index.js';

const count = (m: Module): number => m.parameters().reduce((n, p) => n + p.size, 0);

describe('model zoo', () => {
  // Published counts (torchvision for resnet18/mobilenetv2; He et al. option A for resnet20;
  // hand sums for lenet5 = 156 + 2416 + 48120 + 10164 + 850 and convnet = 320 + 18496 + 401536 + 1290;
  // MobileNetV1 = 928 (stem) + 13 blocks + 1 025 000 (fc) = 4 231 976).
  it.each([
    ['lenet5', 61_706],
    ['convnet', 421_642],
    ['resnet20', 269_722],
    ['resnet20b', 272_474],
    ['resnet18', 11_689_512],
    ['mobilenetv1', 4_231_976],
    ['mobilenetv2', 3_504_872],
  ])('%s has %i parameters', (name, expected) => {
    const model = createModel(name);
    expect(count(model)).toBe(expected);
    expect(listModels().find((m) => m.name === name)?.parameters).toBe(expected);
    model.dispose();
  });

  it('names tensors by path and matches torchvision keys', () => {
    const r = createModel('resnet18', { numClasses: 10, inputSize: [3, 32, 32] });
    const keys = [...r.stateDict().keys()];
    expect(keys).toContain('layer2.0.downsample.0.weight');
    expect(keys).toContain('layer4.1.bn2.running_var');
    expect(keys).toContain('fc.bias');
    expect(r.stateDict().get('conv1.weight')!.name).toBe('conv1.weight');
    const m = createModel('mobilenetv2', { numClasses: 10, inputSize: [3, 32, 32] });
    expect([...m.stateDict().keys()]).toEqual(
      expect.arrayContaining(['features.1.conv.0.0.weight', 'features.18.1.bias', 'classifier.1.weight']),
    );
    r.dispose();
    m.dispose();
  });

  it('computes flatten sizes and the head from inputSize and numClasses', () => {
    const m = createModel('lenet5', { inputSize: [3, 32, 32], numClasses: 7 });
    expect(m.outputShape([2, 3, 32, 32])).toEqual([2, 7]);
    const fc1 = m.getModule('fc1') as Linear;
    expect(fc1.inFeatures).toBe(16 * 6 * 6);
    expect((m.getModule('conv1') as Conv2d).inChannels).toBe(3);
    m.dispose();
  });

  it('seeds initialisation', () => {
    const a = createModel('lenet5', { seed: 3 });
    const b = createModel('lenet5', { seed: 3 });
    const c = createModel('lenet5', { seed: 4 });
    const w = (m: Module) => [...m.stateDict().get('fc1.weight')!.dataSync().slice(0, 8)];
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    for (const m of [a, b, c]) m.dispose();
  });

  it('rejects unknown models and bad options', () => {
    expect(() => createModel('vgg')).toThrow(/unknown model "vgg"; available: lenet5, convnet/);
    expect(() => createModel('lenet5', { numClasses: 0 })).toThrow(
      /lenet5: numClasses must be a positive integer/,
    );
    expect(() => createModel('lenet5', { inputSize: [1, 28] as never })).toThrow(
      /inputSize must be \[C, H, W\]/,
    );
  });

  it.each([
    ['resnet20', [3, 32, 32], [1, 10]],
    ['resnet18', [3, 32, 32], [1, 10]],
    ['mobilenetv1', [3, 32, 32], [1, 10]],
    ['mobilenetv2', [3, 32, 32], [1, 10]],
  ] as const)('%s propagates shapes for a small input', (name, input, out) => {
    const m = createModel(name, { numClasses: 10, inputSize: input });
    expect(m.outputShape([1, ...input])).toEqual(out);
    m.dispose();
  });
});

describe('describeLayers', () => {
  it('describes LeNet-5 layer by layer', () => {
    const m = createModel('lenet5');
    const layers = describeLayers(m, [1, 28, 28]);
    expect(layers.map((l) => [l.name, l.kind, l.macs, l.params])).toEqual([
      ['conv1', 'conv', 28 * 28 * 6 * 25, 156],
      ['conv2', 'conv', 10 * 10 * 16 * 150, 2416],
      ['fc1', 'linear', 400 * 120, 48_120],
      ['fc2', 'linear', 120 * 84, 10_164],
      ['fc3', 'linear', 84 * 10, 850],
    ]);
    expect(layers[0]).toMatchObject({
      inChannels: 1,
      outChannels: 6,
      kernel: [5, 5],
      stride: [1, 1],
      padding: [2, 2],
      dilation: [1, 1],
      groups: 1,
      hasBias: true,
      inputShape: [1, 1, 28, 28],
      outputShape: [1, 6, 28, 28],
    });
    expect(layers[2]).toMatchObject({ inputShape: [1, 400], outputShape: [1, 120], kernel: [1, 1] });
    m.dispose();
  });

  it('reproduces the FracBits reference: ResNet-18 at W4A4 (first conv W8A8, fc W8A4) = 34.70 GBitOps', () => {
    const m = createModel('resnet18');
    const layers = describeLayers(m, [3, 224, 224]);
    expect(layers).toHaveLength(21); // 1 stem + 16 block convs + 3 downsamples + fc
    expect(layers.reduce((n, l) => n + l.params, 0) + 2 * (64 * 5 + 128 * 5 + 256 * 5 + 512 * 5)).toBe(
      11_689_512,
    );
    let bitops = 0;
    layers.forEach((l, i) => {
      const first = i === 0;
      const last = i === layers.length - 1;
      bitops += l.macs * (first ? 8 : last ? 8 : 4) * (first ? 8 : 4);
    });
    expect(bitops / 1e9).toBeCloseTo(34.7, 2);
    const ds = layers.find((l) => l.name === 'layer2.0.downsample.0')!;
    expect(ds).toMatchObject({
      kernel: [1, 1],
      stride: [2, 2],
      inputShape: [1, 64, 56, 56],
      outputShape: [1, 128, 28, 28],
    });
    m.dispose();
  });

  it('matches the published multiply-adds of the MobileNets', () => {
    const total = (name: string) => {
      const m = createModel(name);
      const macs = describeLayers(m, [3, 224, 224]).reduce((n, l) => n + l.macs, 0);
      m.dispose();
      return macs;
    };
    // MobileNetV1: 569 M mult-adds (Howard et al., Table 8); MobileNetV2: 300 M (Sandler et al., Table 4).
    expect(total('mobilenetv1') / 1e6).toBeCloseTo(568.7, 0);
    expect(Math.abs(total('mobilenetv2') / 1e6 - 300) / 300).toBeLessThan(0.01);
    const m = createModel('mobilenetv2');
    const dw = describeLayers(m, [3, 224, 224]).find((l) => l.name === 'features.2.conv.1.0')!;
    expect(dw).toMatchObject({
      groups: 96,
      inChannels: 96,
      outChannels: 96,
      stride: [2, 2],
      outputShape: [1, 96, 56, 56],
    });
    expect(dw.macs).toBe(sizeOf([96, 56, 56]) * 9);
    m.dispose();
  });

  it('rejects a shape that includes the batch wrongly or does not fit', () => {
    const m = createModel('lenet5');
    expect(() => describeLayers(m, [1, 28, 28, 0])).toThrow(/inputShape must be positive integers/);
    expect(() => describeLayers(m, [3, 28, 28])).toThrow(
      /Conv2d\(1→6\): expected input \[N, 1, H, W\], got \[1, 3, 28, 28\]/,
    );
    m.dispose();
  });
});
