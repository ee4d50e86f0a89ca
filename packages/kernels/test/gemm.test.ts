import { describe, expect, it } from 'vitest';
import {
  type GemmSpec,
  gemmCpu,
  gemmKernel,
  gemmParams,
  instantiate,
  MAX_WORKGROUPS_PER_DIM,
} from '../src/index.js';

// Tolerance: the CPU twin accumulates blocks of 256 products in double and adds them into float32,
// the WGSL accumulates sequentially in float32; both are within K·2⁻²⁴·Σ|a·b| of the exact value.
// Tests allow |error| ≤ 1e-6·K·Σ_k |a_ik·b_kj| (≈ 16 K ulps of the magnitude sum).
const TOL_PER_K = 1e-6;

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return (s / 0x7fffffff) * 2 - 1;
  });
}

/** Float64 reference for one GEMM spec (same strides, same β/bias semantics). */
function reference(spec: GemmSpec, a: Float32Array, b: Float32Array, bias: Float32Array, c: Float32Array) {
  const out = Float64Array.from(c);
  const bound = new Float64Array(c.length);
  const b1 = spec.batch1 ?? 1;
  const b2 = spec.batch2 ?? 1;
  const at = (l: GemmSpec['a'], z1: number, z2: number, s: number, i: number, j: number) =>
    (l.offset ?? 0) + z1 * (l.batch1 ?? 0) + z2 * (l.batch2 ?? 0) + s * (l.sum ?? 0) + i * l.row + j * l.col;
  for (let z1 = 0; z1 < b1; z1++)
    for (let z2 = 0; z2 < b2; z2++)
      for (let i = 0; i < spec.m; i++)
        for (let j = 0; j < spec.n; j++) {
          let acc = 0;
          let mag = 0;
          for (let s = 0; s < (spec.sumCount ?? 1); s++)
            for (let k = 0; k < spec.k; k++) {
              const p = a[at(spec.a, z1, z2, s, i, k)] * b[at(spec.b, z1, z2, s, k, j)];
              acc += p;
              mag += Math.abs(p);
            }
          if (spec.bias) acc += bias[at({ ...spec.bias, sum: 0 }, z1, z2, 0, i, j)];
          const ci = at({ ...spec.c, col: 1, sum: 0 }, z1, z2, 0, i, j);
          out[ci] = acc + (spec.beta ? c[ci] : 0);
          bound[ci] = TOL_PER_K * spec.k * (spec.sumCount ?? 1) * mag + 1e-7 * Math.abs(out[ci]);
        }
  return { out, bound };
}

function check(spec: GemmSpec, sizes: { a: number; b: number; bias?: number; c: number }, seed = 1) {
  const a = random(sizes.a, seed);
  const b = random(sizes.b, seed + 1);
  const bias = random(sizes.bias ?? 1, seed + 2);
  const c = random(sizes.c, seed + 3);
  const { out, bound } = reference(spec, a, b, bias, c);
  const got = c.slice();
  gemmKernel.cpu([a, b, bias, got], gemmParams(spec), {});
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - out[i]) <= bound[i])) {
      throw new Error(`element ${i}: got ${got[i]}, expected ${out[i]} ± ${bound[i]}`);
    }
  }
}

describe('gemm/matmul CPU twin', () => {
  it.each([
    [1, 1, 1],
    [37, 53, 29], // primes: ragged 4×4 tiles everywhere
    [5, 130, 7],
    [3, 5, 600], // K spans several 256-blocks
    [131, 9, 4], // M spans two 128-row blocks
    [2, 1030, 3], // N spans two 1024-column blocks
    [6, 784, 25], // LeNet conv1 per sample
  ])('C = A·B for %i×%i (K = %i), row-major', (m, n, k) => {
    check(
      { m, n, k, a: { row: k, col: 1 }, b: { row: n, col: 1 }, c: { row: n } },
      { a: m * k, b: k * n, c: m * n },
    );
  });

  // m ≤ 32 reads B in place through its strides; larger m packs it: cover both.
  it.each([
    [13, false, true],
    [13, true, false],
    [13, true, true],
    [41, false, true],
    [41, true, false],
    [41, true, true],
  ])('reads transposed operands through strides (m = %i, transA %s, transB %s)', (m, ta, tb) => {
    const [n, k] = [11, 17];
    const a = ta ? { row: 1, col: m } : { row: k, col: 1 };
    const b = tb ? { row: 1, col: k } : { row: n, col: 1 };
    check({ m, n, k, a, b, c: { row: n } }, { a: m * k, b: k * n, c: m * n }, 7);
  });

  it.each([7, 35])(
    'handles batches, broadcast (stride 0) operands, summed products, bias and β = 1 (m = %i)',
    (m) => {
      const [n, k] = [9, 5];
      check(
        {
          m,
          n,
          k,
          batch1: 3,
          batch2: 2,
          sumCount: 3,
          a: { row: k, col: 1, batch1: 0, batch2: m * k, sum: 2 * m * k },
          b: { row: 1, col: k, batch1: 2 * k * n, batch2: k * n, sum: 6 * k * n },
          c: { offset: 4, row: n + 2, batch1: 2 * m * (n + 2), batch2: m * (n + 2) },
          bias: { row: 1, col: 0, batch2: m },
          beta: 1,
        },
        { a: 6 * m * k, b: 18 * k * n, bias: 2 * m, c: 4 + 6 * m * (n + 2) },
        11,
      );
    },
  );

  it('is exact when every partial sum is representable (small integers)', () => {
    const [m, n, k] = [6, 10, 300];
    const a = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 11) - 5);
    const b = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 9) - 4);
    const c = new Float32Array(m * n);
    gemmCpu({
      m,
      n,
      k,
      a: { data: a, offset: 0, row: k, col: 1 },
      b: { data: b, offset: 0, row: n, col: 1 },
      c: { data: c, offset: 0, row: n, col: 1 },
    });
    const expected = new Float32Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a[i * k + q] * b[q * n + j];
        expected[i * n + j] = s;
      }
    expect([...c]).toEqual([...expected]);
  });

  it('leaves C untouched outside the written rows and columns', () => {
    const c = new Float32Array(3 * 8).fill(42);
    const a = new Float32Array([1, 2]);
    const b = new Float32Array([3, 4, 5, 6, 7, 8]);
    // A 1×2, B 2×3, written into row 1, columns 0..2 of a 3×8 block (offset 8, row stride 8).
    gemmKernel.cpu(
      [a, b, a, c],
      gemmParams({
        m: 1,
        n: 3,
        k: 2,
        a: { row: 2, col: 1 },
        b: { row: 3, col: 1 },
        c: { offset: 8, row: 8 },
      }),
      {},
    );
    expect([...c.subarray(8, 11)]).toEqual([1 * 3 + 2 * 6, 1 * 4 + 2 * 7, 1 * 5 + 2 * 8]);
    expect([...c.subarray(0, 8)].every((v) => v === 42)).toBe(true);
    expect([...c.subarray(11)].every((v) => v === 42)).toBe(true);
  });

  it('computes an empty sum (k = 0) as bias or zero', () => {
    const c = new Float32Array([9, 9]);
    gemmKernel.cpu(
      [c, c, new Float32Array([1, 2]), c],
      gemmParams({
        m: 1,
        n: 2,
        k: 0,
        a: { row: 0, col: 1 },
        b: { row: 2, col: 1 },
        c: { row: 2 },
        bias: { row: 0, col: 1 },
      }),
      {},
    );
    expect([...c]).toEqual([1, 2]);
  });
});

describe('gemm/matmul descriptor', () => {
  it('is valid for WebGPU limits (bindings, workgroup size) and folds large batches', () => {
    const code = instantiate(gemmKernel).code;
    expect(code).toContain('var<storage, read_write> c: array<f32>');
    expect(gemmKernel.shader.bindings.length).toBeLessThanOrEqual(8);
    const wg = instantiate(gemmKernel).workgroupSize;
    expect(wg[0] * wg[1] * wg[2]).toBeLessThanOrEqual(256);
    const p = gemmParams({
      m: 40,
      n: 70,
      k: 3,
      batch1: 50_000,
      batch2: 3,
      a: { row: 3, col: 1 },
      b: { row: 70, col: 1 },
      c: { row: 70 },
    });
    const [x, y, z] = gemmKernel.dispatch(p, {});
    expect(x).toBe(3);
    for (const d of [x, y, z]) expect(d).toBeLessThanOrEqual(MAX_WORKGROUPS_PER_DIM);
    expect(y * z).toBeGreaterThanOrEqual(2 * 150_000); // 2 row tiles × 150 000 batches
  });

  it('rejects malformed sizes with the kernel name', () => {
    expect(() =>
      gemmParams({ m: 2.5, n: 1, k: 1, a: { row: 1, col: 1 }, b: { row: 1, col: 1 }, c: { row: 1 } }),
    ).toThrow(/gemm\/matmul: m must be a non-negative integer, got 2.5/);
  });
});
