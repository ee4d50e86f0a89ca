import { type Tensor, tensor } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  BatchNorm2d,
  ConstantSchedule,
  Conv2d,
  CosineSchedule,
  clipGradNorm,
  Linear,
  Sequential,
  SGD,
  splitDecay,
} from '../src/index.js';

const values = (t: Tensor) => [...t.dataSync()];

function param(v: number[]): Tensor {
  const p = tensor(v);
  p.requiresGrad = true;
  return p;
}

/** Runs `steps` optimizer steps with the same gradient each time. */
function run(opt: SGD | Adam, p: Tensor, grad: number[], steps: number): number[] {
  for (let i = 0; i < steps; i++) {
    p.grad = tensor(grad);
    opt.step();
    opt.zeroGrad();
  }
  return values(p);
}

function expectClose(got: number[], want: number[], digits = 6) {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => {
    expect(g).toBeCloseTo(want[i], digits);
  });
}

describe('SGD', () => {
  it('plain SGD: p ← p − lr·g', () => {
    const p = param([1, -2]);
    expectClose(run(new SGD([p], { lr: 0.1 }), p, [0.5, 1], 2), [1 - 0.1, -2 - 0.2]);
  });

  it('momentum with weight decay matches the hand-computed PyTorch updates', () => {
    const p = param([1, -2]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    // step 1: d = g + 0.01·p = [0.51, 0.98]; buf = d; p = [0.949, −2.098]
    expectClose(run(opt, p, [0.5, 1], 1), [0.949, -2.098]);
    // step 2: d = [0.50949, 0.97902]; buf = 0.9·[0.51, 0.98] + d = [0.96849, 1.86102]
    expectClose(run(opt, p, [0.5, 1], 1), [0.949 - 0.096849, -2.098 - 0.186102]);
    expectClose(values(opt.state().tensors.get('0.momentum')!), [0.96849, 1.86102]);
  });

  it('Nesterov momentum and dampening follow PyTorch', () => {
    const p = param([2]);
    const opt = new SGD([p], { lr: 0.5, momentum: 0.5, nesterov: true });
    // step 1: buf = 1; d = 1 + 0.5·1 = 1.5; p = 2 − 0.75
    expectClose(run(opt, p, [1], 1), [1.25]);
    // step 2: buf = 0.5 + 1 = 1.5; d = 1 + 0.75 = 1.75; p = 1.25 − 0.875
    expectClose(run(opt, p, [1], 1), [0.375]);

    const q = param([0]);
    const damped = new SGD([q], { lr: 1, momentum: 0.5, dampening: 0.5 });
    // buf₁ = g = 2 (first step is undamped); buf₂ = 0.5·2 + 0.5·2 = 2
    expectClose(run(damped, q, [2], 2), [-4]);
  });

  it('applies per-group settings and skips parameters without gradients', () => {
    const a = param([1]);
    const b = param([1]);
    const c = param([1]);
    const opt = new SGD(
      [
        { params: [a], weightDecay: 1 },
        { params: [b, c], lrScale: 2 },
      ],
      { lr: 0.1 },
    );
    a.grad = tensor([0]);
    b.grad = tensor([1]);
    opt.step();
    expectClose(values(a), [0.9]); // decay only: 1 − 0.1·1
    expectClose(values(b), [0.8]); // lr 0.2
    expect(values(c)).toEqual([1]);
    expect(opt.stepCount).toBe(1);
  });

  it('validates its arguments', () => {
    const p = param([1]);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/sgd: lr must be a finite number ≥ 0/);
    expect(() => new SGD([p], { lr: 1, nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    expect(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 1 })).toThrow(
      /appears in more than one group/,
    );
  });

  it('saves and restores its state', () => {
    const p = param([1, 2]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    run(opt, p, [1, 1], 2);
    const state = opt.state();
    const q = param(values(p));
    const restored = new SGD([q], { lr: 0.5, momentum: 0.9 });
    restored.loadState(state);
    expect(restored.stepCount).toBe(2);
    expect(restored.lr).toBe(0.1);
    expectClose(run(restored, q, [1, 1], 1), run(opt, p, [1, 1], 1));
    expect(() => new Adam([q], { lr: 1 }).loadState(state)).toThrow(/state is for a sgd optimizer/);
    expect(() => new SGD([param([1])], { lr: 1 }).loadState(state)).toThrow(
      /parameter 0 .* was \[2\] in the state/,
    );
  });
});

describe('Adam', () => {
  it('matches the hand-computed bias-corrected updates', () => {
    const p = param([1, -1]);
    const opt = new Adam([p], { lr: 0.1 });
    // t = 1: m̂ = g, v̂ = g² → step = lr·g/(|g| + eps) = ±0.1
    expectClose(run(opt, p, [0.5, -2], 1), [0.9, -0.9], 5);
    // t = 2 with g' = [1, 1]: m = 0.9·0.1·g + 0.1·g', v = 0.999·0.001·g² + 0.001·g'²
    const g = [0.5, -2];
    const want = [0.9, -0.9].map((v, i) => {
      const m = 0.9 * 0.1 * g[i] + 0.1 * 1;
      const s = 0.999 * 0.001 * g[i] ** 2 + 0.001 * 1;
      const mh = m / (1 - 0.9 ** 2);
      const vh = s / (1 - 0.999 ** 2);
      return v - (0.1 * mh) / (Math.sqrt(vh) + 1e-8);
    });
    expectClose(run(opt, p, [1, 1], 1), want, 5);
  });

  it('AdamW decays weights directly, Adam through the gradient', () => {
    const p = param([2]);
    expectClose(run(new Adam([p], { lr: 0.1, weightDecay: 0.5, decoupled: true }), p, [0], 1), [
      2 * (1 - 0.05),
    ]);
    const q = param([2]);
    // g = 0 + 0.5·2 = 1 → first step moves by lr
    expectClose(run(new Adam([q], { lr: 0.1, weightDecay: 0.5 }), q, [0], 1), [1.9], 5);
  });

  it('restores per-parameter step counts', () => {
    const p = param([1]);
    const opt = new Adam([p], { lr: 0.1 });
    run(opt, p, [1], 3);
    const q = param(values(p));
    const other = new Adam([q], { lr: 0.1 });
    other.loadState(opt.state());
    expectClose(run(other, q, [-1], 1), run(opt, p, [-1], 1));
  });
});

describe('clipGradNorm', () => {
  it('scales gradients to the maximum global norm and returns the norm', () => {
    const a = param([0, 0]);
    const b = param([0]);
    a.grad = tensor([3, 0]);
    b.grad = tensor([4]);
    const norm = clipGradNorm([a, b], 1)!;
    expect(norm.itemSync()).toBeCloseTo(5, 6);
    expectClose(values(a.grad), [0.6, 0], 5);
    expectClose(values(b.grad), [0.8], 5);
    // Under the limit nothing changes.
    clipGradNorm([a, b], 10);
    expectClose(values(b.grad), [0.8], 5);
    expect(clipGradNorm([param([1])], 1)).toBeNull();
    expect(() => clipGradNorm([a], 0)).toThrow(/maxNorm must be > 0/);
  });
});

describe('splitDecay', () => {
  it('decays only conv and linear weights', () => {
    const model = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new Linear(4, 3));
    const groups = splitDecay(model, 5e-4);
    expect(groups.map((g) => [g.name, g.weightDecay, g.params.map((p) => p.shape.join('x'))])).toEqual([
      ['decay', 5e-4, ['2x1x3x3', '3x4']],
      ['no_decay', 0, ['2', '2', '2', '3']],
    ]);
    const opt = new SGD(groups, { lr: 0.1, momentum: 0.9 });
    expect(opt.groups.map((g) => g.hyper.weightDecay)).toEqual([5e-4, 0]);
  });
});

describe('schedules', () => {
  it('cosine decay with linear warmup', () => {
    const s = new CosineSchedule({ baseLr: 1, totalSteps: 12, warmupSteps: 2, minLr: 0.1 });
    expect(s.lr(0)).toBeCloseTo(0.5);
    expect(s.lr(1)).toBeCloseTo(1);
    expect(s.lr(2)).toBeCloseTo(1);
    // Halfway through the 10 decay steps: minLr + (1 − minLr)/2
    expect(s.lr(7)).toBeCloseTo(0.55);
    expect(s.lr(4)).toBeCloseTo(0.1 + (0.9 * (1 + Math.cos(Math.PI * 0.2))) / 2);
    expect(s.lr(12)).toBeCloseTo(0.1);
    expect(s.lr(100)).toBeCloseTo(0.1);
    const plain = new CosineSchedule({ baseLr: 0.1, totalSteps: 4 });
    const want = [0.1, (0.1 * (1 + Math.SQRT1_2)) / 2, 0.05, (0.1 * (1 - Math.SQRT1_2)) / 2];
    want.forEach((v, i) => {
      expect(plain.lr(i)).toBeCloseTo(v, 10);
    });
    expect(new ConstantSchedule(0.3).lr()).toBe(0.3);
    expect(() => new CosineSchedule({ baseLr: 1, totalSteps: 0 })).toThrow(
      /totalSteps must be a positive integer/,
    );
    expect(() => s.lr(-1)).toThrow(/step must be an integer ≥ 0/);
  });
});
