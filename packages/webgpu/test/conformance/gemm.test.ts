/**
 * The GEMM kernels on awkward shapes and layouts: the subgroup kernels (gemm/matmul_sg,
 * gemm/matmul_sg_a, rows- or columns-contiguous B) must equal gemm/matmul bit for bit (all add one
 * product per k in ascending order), and all must match the CPU twin.
 */
import {
  type GemmSpec,
  gemmKernel,
  gemmParams,
  gemmSubgroupEligible,
  gemmSubgroupKernelFor,
  gemmSubgroupKernels,
  gemmSubgroupStridedKernels,
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

interface DenseOptions {
  /** A stored transposed ([k, m]) / B stored transposed ([n, k]). */
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly batch?: number;
  readonly bias?: 'row' | 'col';
  readonly beta?: 0 | 1;
  readonly sum?: number;
}

/** A GEMM over contiguous operands, optionally transposed, batched (A broadcast), with extras. */
function dense(m: number, n: number, k: number, extra: DenseOptions = {}): Case {
  const batch = extra.batch ?? 1;
  const sum = extra.sum ?? 1;
  const spec: GemmSpec = {
    m,
    n,
    k,
    batch1: batch,
    sumCount: sum,
    a: { ...(extra.transA ? { row: 1, col: m } : { row: k, col: 1 }), batch1: 0, sum: m * k },
    b: { ...(extra.transB ? { row: 1, col: k } : { row: n, col: 1 }), batch1: sum * k * n, sum: k * n },
    c: { row: n, batch1: m * n },
    bias: extra.bias === 'row' ? { row: 0, col: 1 } : extra.bias === 'col' ? { row: 1, col: 0 } : null,
    beta: extra.beta ?? 0,
  };
  const tag = [
    extra.transA && 'Aᵀ',
    extra.transB && 'Bᵀ',
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

/** Eligible for a subgroup kernel: n a multiple of 4 (k too when B is transposed). */
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
  // Any A (gemm/matmul_sg_a): unaligned rows, transposed.
  dense(9, 12, 33),
  dense(1, 4, 1),
  dense(3, 8, 7, { transA: true }),
  dense(19, 36, 70, { transA: true, bias: 'row' }),
  dense(11, 24, 13, { batch: 2, sum: 2 }),
  // Transposed B (columns contiguous): linear layers' Wᵀ, conv weight gradients.
  dense(5, 12, 8, { transB: true }),
  dense(33, 68, 132, { transB: true, bias: 'col' }),
  dense(7, 16, 36, { transA: true, transB: true }),
  dense(6, 8, 12, { transB: true, sum: 3, beta: 1 }),
];

/** Not eligible: gemm/matmul runs instead. */
const FALLBACK: Case[] = [
  dense(4, 10, 8), // n not a multiple of 4
  dense(4, 8, 10, { transB: true }), // transposed B with unaligned columns
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
    expect(gemmVariant(gemmParams(CASES[4].spec), {}, backend)).toBe(gemmSubgroupKernels.rows);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const p = gemmParams(c.spec);
    const vecA = !c.name.includes('Aᵀ') && c.spec.k % 4 === 0;
    const kernels = vecA ? gemmSubgroupKernels : gemmSubgroupStridedKernels;
    expect(gemmSubgroupKernelFor(p)).toBe(kernels[c.name.includes('Bᵀ') ? 'cols' : 'rows']);
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
