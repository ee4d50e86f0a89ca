import { describe, expect, it } from 'vitest';
import {
  backward,
  batchNormEval,
  batchNormTrain,
  gradCheck,
  mul,
  noGrad,
  scope,
  sum,
  type Tensor,
  tensor,
} from '../src/index.js';

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const wave = (shape: number[], phase = 0, scale = 1) =>
  tensor(
    Array.from({ length: size(shape) }, (_, i) => scale * Math.sin(i * 1.37 + phase) + (i % 3) * 0.3),
    shape,
  );
const values = (t: Tensor) => [...t.dataSync()];

describe('batchNormTrain', () => {
  it('normalises each channel with the batch mean and biased variance (hand values)', () => {
    // [N=2, C=2]: channel 0 = {1, 3}, channel 1 = {4, 4}
    const x = tensor([1, 4, 3, 4], [2, 2]);
    const { y, mean, var: v } = batchNormTrain(x, tensor([2, 1]), tensor([0.5, -1]), 0);
    expect(values(mean)).toEqual([2, 4]);
    expect(values(v)).toEqual([1, 0]);
    // channel 0: x̂ = ∓1 → 2·x̂ + 0.5; channel 1 has zero variance and eps 0: 0/0 is NaN, so use eps below
    expect(values(y).filter((_, i) => i % 2 === 0)).toEqual([-1.5, 2.5]);
    const { y: y2 } = batchNormTrain(x, tensor([2, 1]), tensor([0.5, -1]), 1e-5);
    expect(values(y2)[1]).toBe(-1);
  });

  it('reduces over N, H and W for NCHW inputs', () => {
    const x = wave([3, 2, 4, 5], 0, 2);
    const { y, mean, var: v } = batchNormTrain(x, tensor([1, 1]), tensor([0, 0]));
    const xs = x.dataSync();
    for (let c = 0; c < 2; c++) {
      const vals: number[] = [];
      for (let n = 0; n < 3; n++) for (let i = 0; i < 20; i++) vals.push(xs[(n * 2 + c) * 20 + i]);
      const mu = vals.reduce((a, b) => a + b) / vals.length;
      const variance = vals.reduce((a, b) => a + (b - mu) ** 2, 0) / vals.length;
      expect(mean.dataSync()[c]).toBeCloseTo(mu, 6);
      expect(v.dataSync()[c]).toBeCloseTo(variance, 5);
    }
    // normalised output has zero mean and unit (biased) variance per channel
    const ys = y.dataSync();
    for (let c = 0; c < 2; c++) {
      let s = 0;
      let q = 0;
      for (let n = 0; n < 3; n++)
        for (let i = 0; i < 20; i++) {
          s += ys[(n * 2 + c) * 20 + i];
          q += ys[(n * 2 + c) * 20 + i] ** 2;
        }
      expect(s / 60).toBeCloseTo(0, 5);
      expect(q / 60).toBeCloseTo(1, 3);
    }
  });

  it.each([
    ['NCHW, odd sizes', [3, 2, 3, 5]],
    ['[N, C]', [5, 3]],
    ['batch 1 with spatial extent', [1, 3, 2, 3]],
  ])('passes gradient checks in x, gamma and beta: %s', (_, shape) => {
    const c = shape[1];
    const x = wave(shape, 0, 2);
    const gamma = wave([c], 1);
    const beta = wave([c], 2);
    const r = gradCheck((a, g, b) => batchNormTrain(a, g, b).y, [x, gamma, beta], { maxChecks: 30 });
    expect(r.failures).toEqual([]);
  });

  it('returns statistics without gradient that callers may dispose before backward', () => {
    const x = tensor(wave([4, 2]).dataSync(), [4, 2], { requiresGrad: true });
    const gamma = tensor([1, 2], [2], { requiresGrad: true });
    const beta = tensor([0, 0], [2], { requiresGrad: true });
    scope(() => {
      const { y, mean, var: v } = batchNormTrain(x, gamma, beta);
      expect(mean.requiresGrad).toBe(false);
      expect(v.requiresGrad).toBe(false);
      mean.dispose();
      v.dispose();
      backward(sum(mul(y, wave([4, 2], 5))));
    });
    expect(x.grad).not.toBeNull();
    expect(gamma.grad!.shape).toEqual([2]);
  });

  it('rejects mismatched parameters naming the shapes', () => {
    const x = wave([2, 3, 2, 2]);
    expect(() => batchNormTrain(x, wave([2]), wave([3]))).toThrow(
      /batchNormTrain: gamma must be \[3\] for input \[2, 3, 2, 2\], got .*\[2\]/,
    );
    expect(() => batchNormTrain(wave([3]), wave([3]), wave([3]))).toThrow(
      /batchNormTrain: expected input \[N, C\] or \[N, C, H, W\]/,
    );
    expect(() => batchNormTrain(x, wave([3]), wave([3]), 0)).not.toThrow();
    expect(() => batchNormTrain(x, wave([3]), wave([3]), -1)).toThrow(
      /batchNormTrain: eps must be a non-negative number, got -1/,
    );
  });
});

describe('batchNormEval', () => {
  const x = wave([2, 3, 2, 3], 0, 2);
  const gamma = wave([3], 1);
  const beta = wave([3], 2);
  const runningMean = tensor([0.1, -0.2, 0.3]);
  const runningVar = tensor([0.5, 1.5, 2]);

  it('normalises with the given statistics', () => {
    const y = batchNormEval(x, gamma, beta, runningMean, runningVar, 1e-3);
    const [xs, ys, g, b, m, v] = [x, y, gamma, beta, runningMean, runningVar].map((t) => t.dataSync());
    for (let i = 0; i < xs.length; i++) {
      const c = Math.floor(i / 6) % 3;
      expect(ys[i]).toBeCloseTo(((xs[i] - m[c]) / Math.sqrt(v[c] + 1e-3)) * g[c] + b[c], 5);
    }
  });

  it('equals batchNormTrain when given the batch statistics', () => {
    const { y, mean, var: v } = noGrad(() => batchNormTrain(x, gamma, beta));
    expect(values(batchNormEval(x, gamma, beta, mean, v))).toEqual(values(y));
  });

  it('passes gradient checks in x, gamma and beta (statistics fixed)', () => {
    const r = gradCheck((a, g, b) => batchNormEval(a, g, b, runningMean, runningVar), [x, gamma, beta], {
      maxChecks: 30,
    });
    expect(r.failures).toEqual([]);
  });

  it('rejects running statistics of the wrong size', () => {
    expect(() => batchNormEval(x, gamma, beta, tensor([0, 0]), runningVar)).toThrow(
      /batchNormEval: runningMean must be \[3\]/,
    );
  });
});
