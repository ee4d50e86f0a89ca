/**
 * The quant/ kernels: CPU twins against hand-computed FracBits values, and the WGSL against the
 * twins bit for bit on a WebGPU adapter when one is available (lavapipe in CI). The GPU part
 * drives the WGSL directly through `webgpu` (Dawn) so it checks the shaders themselves, not a
 * backend; it is skipped where `webgpu` or an adapter is missing (and fails in CI).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CpuBuffer,
  type Defines,
  fracLevels,
  fracParams,
  fracQuantKernel,
  type KernelDescriptor,
  lambdaLayout,
  type Params,
  pactKernel,
  pactParams,
  quantLevel,
  quantLevelKernel,
} from '../src/index.js';
import { type Dawn, openDawn, runOnDawn } from './dawn.js';

const f32 = Math.fround;

/** Deterministic float32 values in [lo, hi) (an LCG; tests must not depend on Math.random). */
function values(n: number, lo: number, hi: number, seed = 7): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

function runCpu(
  kernel: KernelDescriptor,
  buffers: CpuBuffer[],
  params: Params,
  defines: Defines = {},
): CpuBuffer[] {
  kernel.cpu(buffers, params, defines);
  return buffers;
}

// The 8-point tables of fracbits-vectors.json (an independent PyTorch implementation, float32).
const U = [0, 0.10000000149011612, 0.1666666716337204, 0.25, 0.5, 0.75, 0.8333333134651184, 1].map(f32);
const Q_TABLE: Record<number, number[]> = {
  1: [0, 0, 0, 0, 0, 1, 1, 1],
  2: [0, 0, 0, 0.3333333432674408, 0.6666666865348816, 0.6666666865348816, 0.6666666865348816, 1],
  3: [
    0, 0.1428571492433548, 0.1428571492433548, 0.2857142984867096, 0.5714285969734192, 0.7142857313156128,
    0.8571428656578064, 1,
  ],
};

describe('quantLevel (Q_k)', () => {
  it('reproduces the reference Q_k tables exactly, with both zero levels', () => {
    for (const k of [1, 2, 3]) {
      expect(U.map((u) => quantLevel(u, k, 0.5))).toEqual(Q_TABLE[k]);
      expect(U.map((u) => quantLevel(u, k, 0))).toEqual(Q_TABLE[k]);
    }
    expect(U.map((u) => quantLevel(u, 0, 0.5))).toEqual(U.map(() => 0.5));
    expect(U.map((u) => quantLevel(u, 0, 0))).toEqual(U.map(() => 0));
  });

  it('rounds ties to even', () => {
    expect(quantLevel(0.5, 1, 0)).toBe(0); // 0.5·1 → 0
    expect(quantLevel(0.5, 2, 0)).toBe(f32(2 / 3)); // 1.5 → 2
    expect(quantLevel(f32(2.5 / 7), 3, 0)).toBe(f32(2 / 7)); // 2.5 → 2
    expect(quantLevel(f32(3.5 / 7), 3, 0)).toBe(f32(4 / 7)); // 3.5 → 4
  });

  it('divides correctly rounded at every level up to 16 bits', () => {
    for (let k = 1; k <= 16; k++) {
      const n = 2 ** k - 1;
      for (let m = 0; m <= n; m += Math.max(1, Math.floor(n / 97))) {
        expect(quantLevel(f32(m / n), k, 0)).toBe(f32(m / n));
      }
    }
  });
});

describe('fracQuantKernel (CPU twin)', () => {
  const run = (u: number[], lam: number[], opts: { zero: number; scale?: number; shift?: number }) => {
    const [, , out, dlam] = runCpu(
      fracQuantKernel,
      [Float32Array.from(u), Float32Array.from(lam), new Float32Array(u.length), new Float32Array(u.length)],
      fracParams([u.length], lam.length, opts),
    );
    return { out: [...out], dlam: [...dlam] };
  };

  it('at λ = 2.5 is the mean of the 2- and 3-bit outputs, with dlam = Q3 − Q2', () => {
    const r = run(U, [2.5], { zero: 0 });
    U.forEach((_, i) => {
      expect(r.out[i]).toBe(f32(f32(0.5 * Q_TABLE[3][i]) + f32(0.5 * Q_TABLE[2][i])));
      expect(r.dlam[i]).toBe(f32(Q_TABLE[3][i] - Q_TABLE[2][i]));
    });
  });

  it('at an integer λ equals Q_k with a zero λ partial', () => {
    const r = run(U, [3], { zero: 0 });
    expect(r.out).toEqual(Q_TABLE[3]);
    expect(r.dlam).toEqual(U.map(() => 0));
  });

  it('makes 0-bit weights exactly zero (2·Q − 1 with zero level 0.5) and interpolates towards 1 bit', () => {
    const w = run(U, [0], { zero: 0.5, scale: 2, shift: -1 });
    expect(w.out).toEqual(U.map(() => 0));
    const half = run(U, [0.25], { zero: 0.5, scale: 2, shift: -1 });
    // λ̂ = 0.25: Q = 0.25·Q_1 + 0.75·0.5, so 2Q − 1 = ±0.25; dlam = 2·(Q_1 − 0.5) = ±1
    expect(half.out).toEqual(Q_TABLE[1].map((q) => (q === 1 ? 0.25 : -0.25)));
    expect(half.dlam).toEqual(Q_TABLE[1].map((q) => (q === 1 ? 1 : -1)));
  });

  it('indexes one λ per leading slice on an odd shape (3 channels × 7)', () => {
    const u = [...values(21, 0, 1)];
    const lam = [1.5, 2, 3.25];
    const [, , out, dlam] = runCpu(
      fracQuantKernel,
      [Float32Array.from(u), Float32Array.from(lam), new Float32Array(21), new Float32Array(21)],
      fracParams([3, 7], 3, { zero: 0.5, scale: 2, shift: -1 }),
    );
    const r = { out: [...out], dlam: [...dlam] };
    u.forEach((ui, i) => {
      const l = fracLevels(ui, lam[Math.floor(i / 7)], 0.5);
      expect(r.out[i]).toBe(f32(f32(2 * l.q) - 1));
      expect(r.dlam[i]).toBe(f32(2 * (l.hi - l.lo)));
    });
    expect(r.dlam.slice(7, 14)).toEqual(Array(7).fill(0)); // λ = 2 exactly
  });

  it('lays out λ per tensor or per slice along an axis, and rejects a mismatch', () => {
    expect(lambdaLayout([5, 3, 2], 1)).toEqual({ inner: 30, groups: 1 });
    expect(lambdaLayout([5, 3, 2], 5)).toEqual({ inner: 6, groups: 5 });
    expect(lambdaLayout([5, 3, 2], 3, 1)).toEqual({ inner: 2, groups: 3 });
    expect(() => lambdaLayout([10], 3)).toThrow(/3 bit-widths need one per entry of axis 0 of shape \[10\]/);
  });

  it('indexes a per-channel λ of an NCHW tensor (axis 1, 2 × 3 × 5)', () => {
    const u = values(30, 0, 1, 3);
    const lam = [1, 2, 3];
    const [, , out] = runCpu(
      fracQuantKernel,
      [u, Float32Array.from(lam), new Float32Array(30), new Float32Array(30)],
      fracParams([2, 3, 5], 3, { zero: 0, axis: 1 }),
    );
    u.forEach((ui, i) => {
      expect(out[i]).toBe(quantLevel(ui, lam[Math.floor(i / 5) % 3], 0));
    });
  });
});

describe('pactKernel (CPU twin)', () => {
  const run = (x: number[], alpha: number, lam: number[], signed: boolean, zero = 0) => {
    const n = x.length;
    const [, , , out, dx, dalpha, dlam] = runCpu(
      pactKernel,
      [
        Float32Array.from(x),
        Float32Array.of(alpha),
        Float32Array.from(lam),
        ...[0, 1, 2, 3].map(() => new Float32Array(n)),
      ],
      pactParams([n], lam.length, { zero, axis: 0 }),
      { signed },
    );
    return { out: [...out], dx: [...dx], dalpha: [...dalpha], dlam: [...dlam] };
  };
  const sum = (v: number[]) => v.reduce((s, x) => s + x, 0);

  // act_pact of fracbits-vectors.json: loss Σ y.
  const X = [-1, 0, 0.3, 0.7, 1, 1.5, 1.99, 2, 3].map(f32);
  const Y = [0, 0, 0.17142854630947113, 0.6095238327980042, 1.2190476655960083, 1.3904762268066406, 2, 2, 2];

  it('reproduces the reference PACT vectors (α = 2, λ = 2.6)', () => {
    const r = run(X, 2, [2.6], false);
    expect(r.out).toEqual(Y);
    expect(r.dx).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 0]);
    expect(sum(r.dalpha)).toBeCloseTo(1.9502382278442383, 6);
    expect(sum(r.dlam)).toBeCloseTo(0.09523773193359375, 6);
  });

  it('takes the sign of α into its partial and uses |α| everywhere else', () => {
    const pos = run(X, 2, [2.6], false);
    const neg = run(X, -2, [2.6], false);
    expect(neg.out).toEqual(pos.out);
    expect(neg.dlam).toEqual(pos.dlam);
    expect(neg.dalpha).toEqual(pos.dalpha.map((v) => -v));
  });

  it('double-sided: clips to [−a, a], maps through 2Q − 1 and has the mirrored partials', () => {
    const x = [-3, -2, -1, -0.5, 0, 0.5, 1.25, 2, 5].map(f32);
    const r = run(x, 2, [2], true);
    // λ = 2: levels {0, 1/3, 2/3, 1}; v = 2Q − 1 ∈ {−1, vNeg, vPos, 1}, out = a·v
    const vNeg = f32(f32(2 * f32(1 / 3)) - 1);
    const vPos = f32(f32(2 * f32(2 / 3)) - 1);
    expect(r.out).toEqual([-2, -2, 2 * vNeg, 2 * vNeg, 2 * vPos, 2 * vPos, 2 * vPos, 2, 2]);
    expect(r.dx).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 0]);
    expect(r.dlam).toEqual(x.map(() => 0)); // integer λ
    // α partial: −1 at and below −a, +1 at and above a, (2Q − 1) − x/a inside
    expect([r.dalpha[0], r.dalpha[1], r.dalpha[7], r.dalpha[8]]).toEqual([-1, -1, 1, 1]);
    expect(r.dalpha[2]).toBe(f32(vNeg + 0.5));
    expect(r.dalpha[6]).toBe(f32(vPos - 0.625));
  });

  it('double-sided with zero level 0.5 outputs exactly 0 at 0 bits', () => {
    const r = run([-3, -1, 0, 1, 3], 2, [0], true, 0.5);
    expect(r.out).toEqual([0, 0, 0, 0, 0]);
  });
});

// ---- WGSL vs CPU twin, bit for bit --------------------------------------------------------------

/** Indices where two float32 arrays differ (±0 count as equal: `max` may pick either zero). */
function mismatches(a: Float32Array, b: Float32Array): string[] {
  const bad: string[] = [];
  for (let i = 0; i < a.length && bad.length < 5; i++) {
    if (!(a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]))))
      bad.push(`[${i}] gpu ${a[i]} cpu ${b[i]}`);
  }
  return bad;
}

// openDawn fails in CI (which runs on lavapipe) when no adapter exists, and returns null elsewhere.
let gpu: Dawn | null = null;
beforeAll(async () => {
  gpu = await openDawn();
});
afterAll(() => {
  gpu?.device.destroy();
});

describe('quant WGSL matches the CPU twins bit for bit', () => {
  const compare = async (
    kernel: KernelDescriptor,
    inputs: CpuBuffer[],
    outputs: number[],
    params: Params,
    defines: Defines = {},
  ) => {
    if (!gpu) return;
    const got = (await runOnDawn(gpu, kernel, inputs, params, defines)) as Float32Array[];
    const want = runCpu(
      kernel,
      inputs.map((b) => b.slice()),
      params,
      defines,
    );
    for (const o of outputs)
      expect(
        mismatches(got[o] as Float32Array, want[o] as Float32Array),
        `${kernel.name} output ${o}`,
      ).toEqual([]);
  };

  it('level: every m/n level for k ≤ 16, random u and ties', async (ctx) => {
    if (!gpu) ctx.skip();
    for (let k = 0; k <= 16; k++) {
      const n = 2 ** k - 1;
      const exact = Array.from({ length: Math.min(n + 1, 4099) }, (_, i) =>
        f32(Math.round((i * n) / Math.min(n, 4098)) / n),
      );
      const ties = Array.from({ length: Math.min(n, 64) }, (_, i) => f32((i + 0.5) / n));
      const u = Float32Array.from([...exact, ...ties, ...values(1031, 0, 1, k + 1)]);
      await compare(quantLevelKernel, [u, new Float32Array(u.length)], [1], {
        n: u.length,
        k,
        zero: k % 2 ? 0.5 : 0,
      });
    }
  });

  it.for([
    ['m * (1.0 / (p - 1.0))'],
    ['next_up(next_up(m / (p - 1.0)))'],
    ['next_down(next_down(next_down(m / (p - 1.0))))'],
  ] as const)('level: the exact fix-up repairs a first quotient guess of %s', async ([divGuess], ctx) => {
    if (!gpu) ctx.skip();
    for (const k of [3, 8, 12, 16]) {
      const n = 2 ** k - 1;
      const u = Float32Array.from({ length: Math.min(n + 1, 2048) }, (_, i) =>
        f32(Math.round((i * n) / Math.min(n, 2047)) / n),
      );
      await compare(
        quantLevelKernel,
        [u, new Float32Array(u.length)],
        [1],
        { n: u.length, k, zero: 0 },
        { divGuess },
      );
    }
  });

  it.for([
    ['layer-wise, 1 element', 1, [3.7]],
    ['layer-wise, prime size with a tail', 1031, [2.3]],
    ['per channel, 5 × 61', 305, [0, 0.4, 1, 2.5, 7.99]],
    ['per channel, 16-bit and 8-bit', 262, [16, 8]],
  ] as const)('frac: %s', async ([, size, lam], ctx) => {
    if (!gpu) ctx.skip();
    const u = values(size, 0, 1, size);
    u[0] = 0;
    if (size > 2) u[1] = 1;
    for (const [scale, shift, zero] of [
      [1, 0, 0],
      [2, -1, 0.5],
    ]) {
      await compare(
        fracQuantKernel,
        [u, Float32Array.from(lam), new Float32Array(size), new Float32Array(size)],
        [2, 3],
        fracParams([lam.length, size / lam.length], lam.length, { zero, scale, shift }),
      );
    }
  });

  it.for([
    [false, 2, [2.6], 2],
    [false, -0.75, [3.3], 2 * 1031],
    [false, 5.5, [1.2, 4, 7.5], 2 * 3 * 259],
    [true, 1.5, [2.4], 2 * 1031],
    [true, -3, [0.6, 5], 2 * 2 * 129],
  ] as const)('pact signed=%s α=%s λ=%j on %i elements', async ([signed, alpha, lam, size], ctx) => {
    if (!gpu) ctx.skip();
    const a = Math.abs(alpha);
    const x = values(size, -1.5 * a, 1.5 * a, size + 3);
    // Exact boundaries: 0, ±a.
    if (size > 3) x.set([0, a, -a], 0);
    await compare(
      pactKernel,
      [x, Float32Array.of(alpha), Float32Array.from(lam), ...[0, 1, 2, 3].map(() => new Float32Array(size))],
      [3, 4, 5, 6],
      pactParams([2, lam.length, size / lam.length / 2], lam.length, { zero: signed ? 0.5 : 0 }),
      { signed },
    );
  });
});
