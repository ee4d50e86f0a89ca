/**
 * The GEMM kernels on awkward shapes: gemm/matmul_sg (subgroups) must equal gemm/matmul bit for
 * bit (both add one product per k in ascending order), and both must match the CPU twin.
 */
import {
  type GemmSpec,
  gemmKernel,
  gemmParams,
  gemmSubgroupEligible,
  gemmSubgroupKernel,
  gemmVariant,
  setGemmVariant,
} from '@fracbits/kernels';
import { Rng, type TypedArray } from '@fracbits/tensor';
import { afterAll, expect, it } from 'vitest';
import type { WebGpuBackend } from '../../src/index.js';
import { describeGpu, gpu } from '../gpu.js';
import { mismatches } from './harness.js';

interface Case {
  readonly name: string;
  readonly spec: GemmSpec;
  /** Elements of the a, b, bias, c buffers. */
  readonly sizes: readonly [number, number, number, number];
}

/** Row-major contiguous GEMM, optionally batched with a broadcast operand, bias, β, sums. */
function dense(
  m: number,
  n: number,
  k: number,
  extra: { batch?: number; bias?: 'row' | 'col'; beta?: 0 | 1; sum?: number } = {},
): Case {
  const batch = extra.batch ?? 1;
  const sum = extra.sum ?? 1;
  const spec: GemmSpec = {
    m,
    n,
    k,
    batch1: batch,
    sumCount: sum,
    a: { row: k, col: 1, batch1: 0, sum: m * k }, // A broadcast over the batch
    b: { row: n, col: 1, batch1: sum * k * n, sum: k * n },
    c: { row: n, batch1: m * n },
    bias: extra.bias === 'row' ? { row: 0, col: 1 } : extra.bias === 'col' ? { row: 1, col: 0 } : null,
    beta: extra.beta ?? 0,
  };
  const tag = [
    extra.batch && `batch ${batch}`,
    extra.bias && `bias ${extra.bias}`,
    extra.beta && 'β=1',
    extra.sum && `Σ${sum}`,
  ]
    .filter(Boolean)
    .join(' ');
  return {
    name: `${m}×${k} · ${k}×${n}${tag ? ` (${tag})` : ''}`,
    spec,
    sizes: [sum * m * k, batch * sum * k * n, Math.max(m, n), batch * m * n],
  };
}

/** Eligible for gemm/matmul_sg: k and n multiples of 4 (rows 16-byte aligned); m anything. */
const CASES: Case[] = [
  dense(1, 4, 4),
  dense(1, 4, 28), // only the k tail (< 32)
  dense(7, 8, 32), // exactly one chunk
  dense(9, 12, 36), // one chunk and a tail of 4
  dense(8, 32, 64),
  dense(13, 36, 100),
  dense(33, 68, 260), // row and column tails past every tile
  dense(64, 64, 64, { bias: 'row' }),
  dense(17, 40, 44, { bias: 'col', beta: 1 }),
  dense(5, 20, 72, { batch: 3 }),
  dense(6, 16, 40, { sum: 3, bias: 'row' }),
];

/** Not eligible (A rows not 16-byte aligned, or transposed): gemm/matmul runs instead. */
const FALLBACK: Case[] = [
  dense(9, 12, 33),
  dense(1, 4, 1),
  {
    name: 'transposed A',
    spec: { m: 5, n: 8, k: 7, a: { row: 1, col: 5 }, b: { row: 8, col: 1 }, c: { row: 8 } },
    sizes: [35, 56, 1, 40],
  },
];

async function run(backend: WebGpuBackend, c: Case, data: TypedArray[]): Promise<Float32Array> {
  const bufs = data.map((d) => {
    const b = backend.allocate('float32', d.length);
    backend.write(b, d);
    return b;
  });
  backend.launch(gemmKernel, bufs, gemmParams(c.spec));
  const out = (await backend.read(bufs[3])) as Float32Array;
  for (const b of bufs) backend.release(b);
  return out;
}

function inputs(c: Case, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return c.sizes.map((n) => Float32Array.from({ length: n }, () => rng.uniformRange(-1, 1)));
}

describeGpu('gemm kernels (cpu vs gemm/matmul vs gemm/matmul_sg)', () => {
  const backend = gpu!;
  afterAll(() => {
    setGemmVariant('auto');
  });

  it('the subgroup variant is available on this adapter (lavapipe reports subgroups of 8)', () => {
    if (!backend.software) return;
    expect(gemmVariant(gemmParams(CASES[4].spec), {}, backend)).toBe(gemmSubgroupKernel);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const p = gemmParams(c.spec);
    expect(gemmSubgroupEligible(p)).toBe(true);
    const data = inputs(c, 5);
    const cpuOut = Float32Array.from(data[3]);
    gemmKernel.cpu([data[0], data[1], data[2], cpuOut], p, {});
    setGemmVariant('plain');
    const plain = await run(backend, c, data);
    setGemmVariant('subgroup');
    const sg = await run(backend, c, data);
    setGemmVariant('auto');
    expect(mismatches(sg, plain, 'exact')).toBe('');
    expect(mismatches(plain, cpuOut, { atol: 1e-5, rtol: 1e-5 })).toBe('');
  });

  it.each(FALLBACK.map((c) => [c.name, c] as const))('falls back to gemm/matmul: %s', async (_, c) => {
    const p = gemmParams(c.spec);
    expect(gemmSubgroupEligible(p)).toBe(false);
    setGemmVariant('subgroup');
    expect(gemmVariant(p, {}, backend)).toBe(gemmKernel);
    const data = inputs(c, 9);
    const got = await run(backend, c, data);
    setGemmVariant('auto');
    const want = Float32Array.from(data[3]);
    gemmKernel.cpu([data[0], data[1], data[2], want], p, {});
    expect(mismatches(got, want, { atol: 1e-5, rtol: 1e-5 })).toBe('');
  });
});
