import { readFileSync } from 'node:fs';
import { backward, getBackend, gradCheck, mul, scope, sum, type Tensor, tensor } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { clampBits, fracQuantize, pact, quantizeWeight, satRescale } from '../src/index.js';

const f32 = Math.fround;
const vectors = JSON.parse(
  readFileSync(new URL('../../../fixtures/fracbits-vectors.json', import.meta.url), 'utf8'),
);

/** Float32 agreement: within a couple of ulps of the reference (an independent PyTorch run). */
function expectClose(got: ArrayLike<number>, want: readonly number[], ulps = 2): void {
  expect(got.length).toBe(want.length);
  Array.from(got).forEach((g, i) => {
    const tol = ulps * 2 ** -23 * Math.max(Math.abs(want[i]), 2 ** -10);
    expect(Math.abs(g - want[i]), `element ${i}: got ${g}, want ${want[i]}`).toBeLessThanOrEqual(tol);
  });
}

const flat = (m: number[][]) => m.flat();

describe('fracQuantize', () => {
  const U = vectors.u as number[];

  it('reproduces the Q_k tables at integer λ (weights zero level 0.5, activations 0)', () => {
    for (const k of ['0', '1', '2', '3']) {
      const u = tensor(U);
      expect([...fracQuantize(u, tensor([Number(k)]), 0.5).dataSync()]).toEqual(
        vectors['Q_k_weight_zp0.5'][k],
      );
      expect([...fracQuantize(u, tensor([Number(k)]), 0).dataSync()]).toEqual(vectors.Q_k_act_zp0[k]);
    }
  });

  it('at λ = 2.5 equals the mean of the 2- and 3-bit outputs', () => {
    const q = fracQuantize(tensor(U), tensor([2.5]), 0).dataSync();
    const q2 = vectors.Q_k_act_zp0['2'] as number[];
    const q3 = vectors.Q_k_act_zp0['3'] as number[];
    q.forEach((v, i) => {
      expect(v).toBe(f32(f32(0.5 * q3[i]) + f32(0.5 * q2[i])));
    });
  });

  it('passes gradients straight through to u and sums Q_hi − Q_lo per λ', () => {
    const u = tensor([0.1, 0.3, 0.6, 0.9, 0.45, 0.2], [2, 3], { requiresGrad: true });
    const lam = tensor([1.5, 2.25], [2], { requiresGrad: true });
    const c = tensor([1, -2, 0.5, 3, 0.25, -1], [2, 3]);
    backward(sum(mul(fracQuantize(u, lam, 0), c)));
    expect([...u.grad!.dataSync()]).toEqual([...c.dataSync()]);
    const q = (x: number, k: number) => Math.round(x * (2 ** k - 1)) / (2 ** k - 1);
    const want0 = [0.1, 0.3, 0.6].reduce((s, x, i) => s + [1, -2, 0.5][i] * (q(x, 2) - q(x, 1)), 0);
    const want1 = [0.9, 0.45, 0.2].reduce((s, x, i) => s + [3, 0.25, -1][i] * (q(x, 3) - q(x, 2)), 0);
    expectClose(lam.grad!.dataSync(), [want0, want1], 8);
  });

  it('passes a finite-difference check in λ away from rounding discontinuities', () => {
    // Q is piecewise linear in λ between integers: central differences are exact there.
    const u = tensor(
      Array.from({ length: 3 * 7 }, (_, i) => (i * 0.37) % 1),
      [3, 7],
    );
    const lam = tensor([1.3, 2.6, 4.45], [3]);
    const r = gradCheck((l: Tensor) => fracQuantize(u, l, 0.5, { scale: 2, shift: -1 }), [lam], {
      eps: 1e-2,
    });
    expect(r.failures).toEqual([]);
  });

  it('frees the gradient partials at once when no gradient is recorded', () => {
    const before = getBackend().memory().liveBuffers;
    const u = tensor([0.2, 0.7]);
    const q = fracQuantize(u, tensor([2.5]), 0);
    const y = pact(u, tensor([1]), tensor([3]), { axis: 0 });
    expect(getBackend().memory().liveBuffers - before).toBe(6); // u, two λ, α, q, y
    for (const t of [u, q, y]) t.dispose();
  });

  it('rejects bit-widths that do not match the input', () => {
    expect(() => fracQuantize(tensor([0.1, 0.2, 0.3, 0.4], [2, 2]), tensor([2, 3, 4]), 0)).toThrow(
      /fracQuantize: expected 1 bit-width or one per entry of axis 0 of input \[2, 2\], got λ of shape \[3\]/,
    );
  });
});

describe('clampBits', () => {
  it('clamps and passes the gradient inside [bmin, bmax], boundaries included', () => {
    const lam = tensor([1.5, 2, 5.5, 8, 9], [5], { requiresGrad: true });
    const y = clampBits(lam, 2, 8);
    expect([...y.dataSync()]).toEqual([2, 2, 5.5, 8, 8]);
    backward(sum(y));
    expect([...lam.grad!.dataSync()]).toEqual([0, 1, 1, 1, 0]);
    expect([...lam.dataSync()]).toEqual([1.5, 2, 5.5, 8, 9]); // the stored λ is never clipped
  });

  it('rejects a bad range', () => {
    expect(() => clampBits(tensor([3]), 4, 2)).toThrow(
      /clampBits: expected a bit range 0 ≤ bmin ≤ bmax ≤ 16, got \[4, 2\]/,
    );
    expect(() => clampBits(tensor([3]), 0, 32)).toThrow(/got \[0, 32\]/);
  });
});

describe('quantizeWeight (DoReFa)', () => {
  const W = vectors.weight_layerwise.W as number[][];
  const C = vectors.weight_layerwise.c as number[][];

  const run = (lam: number[]) =>
    scope(() => {
      const w = tensor(flat(W), [2, 4], { requiresGrad: true });
      const l = tensor(lam, [lam.length], { requiresGrad: true });
      const wq = quantizeWeight(w, l);
      backward(sum(mul(wq, tensor(flat(C), [2, 4]))));
      return { wq: [...wq.dataSync()], dW: [...w.grad!.dataSync()], dLam: [...l.grad!.dataSync()] };
    });

  it('reproduces the layer-wise vectors (λ = 2.3): Wq, dL/dλ and dL/dW', () => {
    const r = run([vectors.weight_layerwise.lam]);
    expectClose(r.wq, flat(vectors.weight_layerwise.Wq));
    expectClose(r.dLam, vectors.weight_layerwise.dL_dlam, 8);
    expectClose(r.dW, flat(vectors.weight_layerwise.dL_dW), 8);
  });

  it('reproduces the kernel-wise vectors (λ = [1.5, 3.75])', () => {
    const r = run(vectors.weight_kernelwise.lam);
    expectClose(r.wq, flat(vectors.weight_kernelwise.Wq));
    expectClose(r.dLam, vectors.weight_kernelwise.dL_dlam, 8);
    expectClose(r.dW, flat(vectors.weight_kernelwise.dL_dW), 8);
  });

  it('gives exactly zero at 0 bits (a pruned channel) while other channels keep their levels', () => {
    const wq = quantizeWeight(tensor(flat(W), [2, 4]), tensor([0, 2])).dataSync();
    expect([...wq.slice(0, 4)]).toEqual([0, 0, 0, 0]);
    expect(
      [...wq.slice(4)].every((v) => Math.abs(Math.abs(v) - f32(1 / 3)) < 1e-6 || Math.abs(v) === 1),
    ).toBe(true);
  });

  it('passes finite-difference checks in λ (layer- and kernel-wise) on an odd shape', () => {
    const w = tensor(
      Array.from({ length: 3 * 5 }, (_, i) => Math.sin(i * 1.7) * 0.8),
      [3, 5],
    );
    expect(gradCheck((l: Tensor) => quantizeWeight(w, l), [tensor([2.4], [1])]).failures).toEqual([]);
    expect(gradCheck((l: Tensor) => quantizeWeight(w, l), [tensor([1.25, 3.6, 5.3], [3])]).failures).toEqual(
      [],
    );
  });

  it('SAT rescale: unit-variance levels scaled by 1/√fanOut, no gradient through the std', () => {
    const wq = tensor([-1, -1 / 3, 1 / 3, 1, 1, -1], [2, 3], { requiresGrad: true });
    const y = satRescale(wq, 4);
    const v = [...wq.dataSync()];
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    const std = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
    expectClose(
      y.dataSync(),
      v.map((x) => x / std / 2),
      4,
    );
    backward(sum(y));
    expectClose(
      wq.grad!.dataSync(),
      v.map(() => 1 / std / 2),
      4,
    );
  });
});

describe('pact', () => {
  const P = vectors.act_pact;

  const run = (x: number[], alpha: number, lam: number, signed = false) =>
    scope(() => {
      const xt = tensor(x, [x.length], { requiresGrad: true });
      const a = tensor([alpha], [1], { requiresGrad: true });
      const l = tensor([lam], [1], { requiresGrad: true });
      const y = pact(xt, a, l, { signed, axis: 0 });
      backward(sum(y));
      return {
        y: [...y.dataSync()],
        dx: [...xt.grad!.dataSync()],
        da: a.grad!.itemSync(),
        dl: l.grad!.itemSync(),
      };
    });

  it('reproduces the single-sided vectors: y, dL/dα, dL/dλ, dL/dx', () => {
    const r = run(P.x, P.alpha, P.lam);
    expectClose(r.y, P.y);
    expectClose(r.dx, P.dL_dx);
    expectClose([r.da], [P.dL_dalpha], 8);
    // The reference differentiates f·ΣQ_hi − f·ΣQ_lo as two sums of ≈ 9.4 that cancel to 0.095, so
    // it carries ≈ 1e-6 of rounding; we sum per-element Q_hi − Q_lo (0.09523812, nearer 2/21).
    expect(Math.abs(r.dl - P.dL_dlam[0])).toBeLessThan(1e-6);
    expect(Math.abs(r.dl - 2 / 21)).toBeLessThan(1e-7);
  });

  it('uses |α|: a negative α gives the same output and the negated α gradient', () => {
    const pos = run(P.x, 2, P.lam);
    const neg = run(P.x, -2, P.lam);
    expect(neg.y).toEqual(pos.y);
    expect(neg.da).toBe(-pos.da);
  });

  it('passes finite-difference checks in α and λ (single- and double-sided) away from discontinuities', () => {
    // Inputs inside the clip range avoid the kinks at 0 and ±α; with STE the quantizer's own steps
    // are not differentiated, so the checked function is the STE surrogate's smooth part in λ.
    const x = tensor(
      Array.from({ length: 2 * 3 * 5 }, (_, i) => Math.sin(i * 2.3) * 3),
      [2, 3, 5],
    );
    for (const signed of [false, true]) {
      const lamCheck = gradCheck((l: Tensor) => pact(x, tensor([2.5]), l, { signed }), [tensor([2.3])]);
      expect(lamCheck.failures).toEqual([]);
      const perChannel = gradCheck(
        (l: Tensor) => pact(x, tensor([2.5]), l, { signed }),
        [tensor([1.4, 2.7, 3.2])],
      );
      expect(perChannel.failures).toEqual([]);
    }
    // α: above the clip (x ≥ |α|) the output is |α|·Q(1) = |α|, so the α gradient there is exact.
    const big = tensor([3, 4.5, 6, 7.25], [4]);
    expect(
      gradCheck((a: Tensor) => pact(big, a, tensor([3.3]), { axis: 0 }), [tensor([2.5])]).failures,
    ).toEqual([]);
  });
});
