import { describe, expect, it } from 'vitest';
import {
  avgPool2d,
  backward,
  globalAvgPool2d,
  gradCheck,
  maxPool2d,
  noGrad,
  Rng,
  sum,
  type Tensor,
  tensor,
} from '../src/index.js';

const values = (t: Tensor) => [...t.dataSync()];

/** Distinct values 0.1 apart in random order: finite differences (step 0.01) never cross a tie. */
function separated(shape: number[], seed = 3): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const order = new Rng(seed).permutation(n);
  return tensor(
    Array.from(order, (v) => (v - n / 2) * 0.1),
    shape,
  );
}

describe('maxPool2d', () => {
  const x = tensor([1, 5, 2, 0, 3, 5, 9, 9, 4, 1, 7, 8], [1, 1, 3, 4]);

  it('takes window maxima (2×2 default stride 2, and stride 1)', () => {
    expect(values(maxPool2d(x, { kernel: 2 }))).toEqual([5, 9]);
    const y = maxPool2d(x, { kernel: 2, stride: 1 });
    expect(y.shape).toEqual([1, 1, 2, 3]);
    expect(values(y)).toEqual([5, 9, 9, 5, 9, 9]);
  });

  it('routes the gradient to the first maximum of each window, adding over shared maxima', () => {
    const leaf = tensor(x.dataSync(), x.shape, { requiresGrad: true });
    backward(sum(maxPool2d(leaf, { kernel: 2, stride: 1 })));
    // windows' argmax: 5 at (0,1) [tie with (1,1) goes to the first], 9 at (1,2) for four windows, 5 at (1,1)
    expect(values(leaf.grad!)).toEqual([0, 1, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0]);
  });

  it.each([
    ['2×2', { kernel: 2 }, [2, 3, 6, 4]],
    ['3×3 stride 2 pad 1, odd sizes', { kernel: 3, stride: 2, padding: 1 }, [1, 2, 7, 5]],
    [
      '[3, 2] window, stride [1, 2]',
      { kernel: [3, 2] as [number, number], stride: [1, 2] as [number, number] },
      [2, 1, 5, 5],
    ],
  ])('passes gradient checks away from ties: %s', (_, options, shape) => {
    expect(gradCheck((t) => maxPool2d(t, options), [separated(shape)]).failures).toEqual([]);
  });

  it('frees its argmax at once when no gradient is recorded', () => {
    const before = x.backend.memory().liveBuffers;
    const y = noGrad(() => maxPool2d(x, { kernel: 2 }));
    expect(x.backend.memory().liveBuffers).toBe(before + 1);
    y.dispose();
  });

  it('rejects bad windows', () => {
    expect(() => maxPool2d(x, { kernel: 2, padding: 2 })).toThrow(
      /maxPool2d: padding 2×2 must be at most half the window 2×2/,
    );
    expect(() => maxPool2d(x, { kernel: 5 })).toThrow(/maxPool2d: window 5×5 does not fit input/);
    expect(() => maxPool2d(tensor([1, 2], [1, 2]), { kernel: 1 })).toThrow(
      /maxPool2d: expected input \[N, C, H, W\]/,
    );
  });
});

describe('avgPool2d', () => {
  const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);

  it('averages windows, with or without the padding in the divisor', () => {
    expect(values(avgPool2d(x, { kernel: 2, stride: 1 }))).toEqual([3, 4, 6, 7]);
    const opts = { kernel: 3, stride: 2, padding: 1 };
    expect(values(avgPool2d(x, { ...opts, countIncludePad: false }))).toEqual([3, 4, 6, 7]);
    expect(values(avgPool2d(x, opts))).toEqual([12 / 9, 16 / 9, 24 / 9, 28 / 9].map(Math.fround));
  });

  it.each([
    ['2×2', { kernel: 2 }, [2, 3, 4, 6]],
    ['3×3 stride 2 pad 1 (count include pad)', { kernel: 3, stride: 2, padding: 1 }, [1, 2, 7, 5]],
    [
      '3×3 stride 2 pad 1 (count exclude pad)',
      { kernel: 3, stride: 2, padding: 1, countIncludePad: false },
      [1, 2, 7, 5],
    ],
    ['[2, 3] window, stride 1', { kernel: [2, 3] as [number, number], stride: 1 }, [1, 1, 4, 5]],
  ])('passes gradient checks: %s', (_, options, shape) => {
    expect(gradCheck((t) => avgPool2d(t, options), [separated(shape)]).failures).toEqual([]);
  });
});

describe('globalAvgPool2d', () => {
  it('averages each plane to [N, C] (or [N, C, 1, 1])', () => {
    const x = tensor([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
    const y = globalAvgPool2d(x);
    expect(y.shape).toEqual([1, 2]);
    expect(values(y)).toEqual([2.5, 25]);
    expect(globalAvgPool2d(x, { keepDims: true }).shape).toEqual([1, 2, 1, 1]);
  });

  it('passes a gradient check', () => {
    expect(gradCheck((t) => globalAvgPool2d(t), [separated([2, 3, 3, 5])]).failures).toEqual([]);
    expect(
      gradCheck((t) => globalAvgPool2d(t, { keepDims: true }), [separated([1, 2, 5, 3])]).failures,
    ).toEqual([]);
  });
});
