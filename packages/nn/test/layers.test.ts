import { backward, gradCheck, noGrad, Rng, scope, sum, type Tensor, tensor } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BasicBlock,
  BatchNorm1d,
  BatchNorm2d,
  ChannelPadShortcut,
  Conv2d,
  createModel,
  DepthwiseSeparable,
  Dropout,
  GlobalAvgPool,
  InvertedResidual,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  ReLU6,
  Residual,
  Sequential,
} from '../src/index.js';

const rng = new Rng(42);
const random = (shape: number[], scale = 1): Tensor =>
  tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.uniformRange(-1, 1)),
    shape,
  );
const values = (t: Tensor) => [...t.dataSync()];

/**
 * gradCheck over a module's input and parameters: gradCheck hands in fresh leaf copies, which
 * are swapped into the module's fields for the call (layers read `this.weight` etc.).
 */
function checkModule(module: Module, fields: string[], x: Tensor) {
  const target = module as unknown as Record<string, Tensor>;
  const originals = fields.map((f) => target[f]);
  const result = gradCheck(
    (input, ...params) => {
      fields.forEach((f, i) => {
        target[f] = params[i];
      });
      return module.call(input);
    },
    [x, ...originals],
  );
  fields.forEach((f, i) => {
    target[f] = originals[i];
  });
  return result;
}

describe('Conv2d', () => {
  it('computes a convolution with bias (hand-computed)', () => {
    const conv = new Conv2d(1, 1, 2);
    conv.weight.assign(tensor([1, 2, 3, 4], [1, 1, 2, 2]));
    conv.bias!.assign(tensor([0.5]));
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    // top-left window [1 2; 4 5]·[1 2; 3 4] = 1 + 4 + 12 + 20 = 37
    expect(values(conv.call(x))).toEqual([37.5, 47.5, 67.5, 77.5]);
  });

  it('forward shapes match outputShape for strides, padding, dilation and groups', () => {
    const conv = new Conv2d(4, 6, [3, 2], {
      stride: [2, 1],
      padding: [1, 0],
      dilation: [1, 2],
      groups: 2,
      rng,
    });
    const x = random([2, 4, 7, 5]);
    const y = conv.call(x);
    expect(y.shape).toEqual(conv.outputShape(x.shape));
    expect(y.shape).toEqual([2, 6, 4, 3]);
  });

  it('passes a gradient check (input, weight, bias)', () => {
    const conv = new Conv2d(2, 3, 3, { stride: 2, padding: 1, rng });
    expect(checkModule(conv, ['weight', 'bias'], random([2, 2, 5, 3])).failures).toEqual([]);
  });
});

describe('Linear', () => {
  it('computes x·Wᵀ + b and passes a gradient check', () => {
    const lin = new Linear(3, 2);
    lin.weight.assign(tensor([1, 0, -1, 2, 1, 0], [2, 3]));
    lin.bias!.assign(tensor([10, 20]));
    expect(values(lin.call(tensor([1, 2, 3], [1, 3])))).toEqual([8, 24]);
    expect(checkModule(new Linear(5, 3, { rng }), ['weight', 'bias'], random([3, 5])).failures).toEqual([]);
    expect(() => lin.call(tensor([1, 2], [1, 2]))).toThrow(/Linear\(3→2\): expected input \[N, 3\]/);
  });
});

describe('BatchNorm', () => {
  it('normalises with batch statistics and updates running stats like PyTorch', () => {
    const bn = new BatchNorm2d(2);
    // channel 0: values 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3); channel 1: all 7
    const x = tensor([1, 2, 7, 7, 3, 4, 7, 7], [2, 2, 1, 2]);
    const y = values(bn.call(x));
    const s = Math.sqrt(1.25 + 1e-5);
    [(1 - 2.5) / s, (2 - 2.5) / s, 0, 0, (3 - 2.5) / s, (4 - 2.5) / s, 0, 0].forEach((v, i) => {
      expect(y[i]).toBeCloseTo(v, 5);
    });
    expect(values(bn.runningMean).map((v) => +v.toFixed(6))).toEqual([0.25, 0.7]);
    expect(values(bn.runningVar)[0]).toBeCloseTo(0.9 + 0.1 * (5 / 3), 6);
    expect(values(bn.runningVar)[1]).toBeCloseTo(0.9, 6);
    // Eval uses the running statistics.
    bn.eval();
    const e = values(bn.call(tensor([1, 0], [1, 2, 1, 1])));
    expect(e[0]).toBeCloseTo((1 - 0.25) / Math.sqrt(values(bn.runningVar)[0] + 1e-5), 5);
    expect(e[1]).toBeCloseTo((0 - 0.7) / Math.sqrt(0.9 + 1e-5), 5);
  });

  it('passes gradient checks in training and eval mode', () => {
    const bn = new BatchNorm2d(3);
    bn.weight.assign(random([3]));
    bn.bias.assign(random([3]));
    expect(checkModule(bn, ['weight', 'bias'], random([2, 3, 3, 1], 2)).failures).toEqual([]);
    bn.eval();
    expect(checkModule(bn, ['weight', 'bias'], random([2, 3, 1, 3], 2)).failures).toEqual([]);
  });

  it('BatchNorm1d works on [N, C] and rejects a single value per channel', () => {
    const bn = new BatchNorm1d(3);
    const y = bn.call(random([4, 3]));
    expect(y.shape).toEqual([4, 3]);
    expect(Math.abs(values(sum(y, 0))[1])).toBeLessThan(1e-5);
    expect(() => bn.call(random([1, 3]))).toThrow(
      /BatchNorm1d: training needs more than 1 value per channel/,
    );
    expect(() => new BatchNorm2d(2).call(random([2, 3, 2, 2]))).toThrow(
      /BatchNorm2d\(2\): expected input \[N, 2, H, W\]/,
    );
  });
});

describe('pooling, activations and dropout', () => {
  const x = tensor(
    Array.from({ length: 20 }, (_, i) => i),
    [1, 1, 4, 5],
  );

  it('pools with PyTorch defaults (stride = kernel)', () => {
    expect(values(new MaxPool2d(2).call(x))).toEqual([6, 8, 16, 18]);
    expect(values(new AvgPool2d(2).call(x))).toEqual([3, 5, 13, 15]);
    const padded = new MaxPool2d(3, { stride: 2, padding: 1 });
    expect(padded.call(x).shape).toEqual(padded.outputShape(x.shape));
    expect(values(new GlobalAvgPool().call(x))).toEqual([9.5]);
    expect(new GlobalAvgPool().call(x).shape).toEqual([1, 1]);
    expect(new AdaptiveAvgPool2d(1).call(x).shape).toEqual([1, 1, 1, 1]);
    expect(() => new AdaptiveAvgPool2d(2)).toThrow(/only output size 1 is supported/);
    expect(() => new MaxPool2d(2).call(tensor([1, 2], [1, 2]))).toThrow(
      /MaxPool2d: expected input \[N, C, H, W\]/,
    );
  });

  it('applies ReLU and ReLU6', () => {
    const t = tensor([-1, 3, 8]);
    expect(values(new ReLU().call(t))).toEqual([0, 3, 8]);
    expect(values(new ReLU6().call(t))).toEqual([0, 3, 6]);
  });

  it('drops with a seeded host mask in training and is the identity in eval', () => {
    const ones = tensor(new Float32Array(1000).fill(1));
    const d = new Dropout(0.25, new Rng(9));
    const y = values(d.call(ones));
    expect(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
    const kept = y.filter((v) => v !== 0).length;
    expect(kept).toBeGreaterThan(700);
    expect(kept).toBeLessThan(800);
    expect(values(new Dropout(0.25, new Rng(9)).call(ones))).toEqual(y);
    d.eval();
    expect(d.call(ones)).toBe(ones);
    expect(() => new Dropout(1)).toThrow(/p must be in \[0, 1\)/);
  });
});

describe('blocks', () => {
  function checkBlock(block: Module, input: number[]) {
    const x = random(input);
    const y = block.call(x);
    expect(y.shape).toEqual(block.outputShape(input));
    scope(() => backward(sum(block.call(x))));
    for (const [name, p] of block.namedParameters()) expect(p.grad, name).not.toBeNull();
    for (const p of block.parameters()) p.grad = null;
    return y;
  }

  it('BasicBlock with identity, option-B and option-A shortcuts', () => {
    expect(checkBlock(new BasicBlock(4, 4, 1, { rng }), [2, 4, 5, 5]).shape).toEqual([2, 4, 5, 5]);
    const b = new BasicBlock(4, 8, 2, { rng });
    expect(b.namedParameters().map(([n]) => n)).toContain('downsample.0.weight');
    expect(checkBlock(b, [2, 4, 5, 5]).shape).toEqual([2, 8, 3, 3]);
    const a = new BasicBlock(4, 8, 2, { rng, shortcut: 'A' });
    expect(a.namedParameters().some(([n]) => n.startsWith('downsample'))).toBe(false);
    expect(checkBlock(a, [2, 4, 5, 5]).shape).toEqual([2, 8, 3, 3]);
  });

  it('the option-A shortcut subsamples and zero-pads channels', () => {
    const x = tensor(
      Array.from({ length: 18 }, (_, i) => i + 1),
      [1, 2, 3, 3],
    );
    const y = new ChannelPadShortcut(2, 4, 2).call(x);
    expect(y.shape).toEqual([1, 4, 2, 2]);
    expect(values(y)).toEqual([0, 0, 0, 0, 1, 3, 7, 9, 10, 12, 16, 18, 0, 0, 0, 0]);
  });

  it('InvertedResidual, DepthwiseSeparable and Residual', () => {
    const ir = new InvertedResidual(4, 4, 1, 6, { rng });
    expect(ir.useResidual).toBe(true);
    checkBlock(ir, [2, 4, 5, 3]);
    expect(checkBlock(new InvertedResidual(4, 6, 2, 1, { rng }), [2, 4, 5, 3]).shape).toEqual([2, 6, 3, 2]);
    expect(checkBlock(new DepthwiseSeparable(3, 5, 2, { rng }), [2, 3, 5, 5]).shape).toEqual([2, 5, 3, 3]);
    const res = new Residual(new Sequential(new Conv2d(2, 2, 3, { padding: 1, rng }), new BatchNorm2d(2)), {
      post: new ReLU(),
    });
    checkBlock(res, [2, 2, 3, 3]);
    const bad = new Residual(new Conv2d(2, 3, 1));
    expect(() => bad.outputShape([1, 2, 3, 3])).toThrow(
      /main path gives \[1, 3, 3, 3\] but the shortcut gives \[1, 2, 3, 3\]/,
    );
  });
});

describe('zoo forward passes', () => {
  it.each([
    ['lenet5', [2, 1, 28, 28]],
    ['convnet', [2, 1, 28, 28]],
    ['resnet20', [2, 3, 12, 12]],
    ['resnet20b', [2, 3, 12, 12]],
  ] as const)('%s runs a training-mode forward/backward', (name, input) => {
    const model = createModel(name, { inputSize: [input[1], input[2], input[3]], numClasses: 10 });
    const x = random([...input]);
    const y = scope(() => {
      const out = model.call(x);
      backward(sum(out));
      return out;
    });
    expect(y.shape).toEqual([2, 10]);
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
    model.dispose();
  });

  it.each(['resnet18', 'mobilenetv1', 'mobilenetv2'])('%s runs an eval forward on a 32×32 input', (name) => {
    const model = createModel(name, { inputSize: [3, 32, 32], numClasses: 10 }).eval();
    const y = noGrad(() => model.call(random([1, 3, 32, 32])));
    expect(y.shape).toEqual([1, 10]);
    expect(values(y).every(Number.isFinite)).toBe(true);
    model.dispose();
  });
});
