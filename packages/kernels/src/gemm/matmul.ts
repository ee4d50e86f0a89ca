import { defineKernel, MAX_WORKGROUPS_PER_DIM, type Params } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { gemmCpu } from './cpu-gemm.js';
import { gemmVariant } from './matmul-sg.js';

/** Rows and columns of C one workgroup of `gemm/matmul` computes (8×8 invocations × 4×4). */
export const GEMM_TILE = 32;

/**
 * How an operand is laid out in its buffer: element (i, j) of batch (z1, z2), summed slice s is
 * at `offset + z1·batch1 + z2·batch2 + s·sum + i·row + j·col`. Omitted strides are 0 (broadcast).
 */
export interface GemmLayout {
  readonly offset?: number;
  readonly row: number;
  readonly col: number;
  readonly batch1?: number;
  readonly batch2?: number;
  readonly sum?: number;
}

export interface GemmSpec {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Outer and inner batch counts: z = z1·batch2 + z2 (defaults 1). */
  readonly batch1?: number;
  readonly batch2?: number;
  /** Products summed into each C (default 1). */
  readonly sumCount?: number;
  /** m×k */
  readonly a: GemmLayout;
  /** k×n */
  readonly b: GemmLayout;
  /** m×n, unit column stride (its `col` and `sum` are ignored). */
  readonly c: Omit<GemmLayout, 'col' | 'sum'>;
  /** m×n bias added to the result (usually one stride 0); absent: none. */
  readonly bias?: Omit<GemmLayout, 'sum'> | null;
  /** 1: C += result (C keeps its contents); 0 (default): C = result. */
  readonly beta?: 0 | 1;
}

/** Launch params of `gemmKernel` for a GEMM described by strides (see `GemmLayout`). */
export function gemmParams(spec: GemmSpec): Params {
  const { m, n, k, a, b, c } = spec;
  const batch1 = spec.batch1 ?? 1;
  const batch2 = spec.batch2 ?? 1;
  for (const [name, v] of Object.entries({ m, n, k, batch1, batch2, sumCount: spec.sumCount ?? 1 })) {
    if (!Number.isInteger(v) || v < 0)
      throw new Error(`gemm/matmul: ${name} must be a non-negative integer, got ${v}`);
  }
  const bias = spec.bias ?? null;
  return {
    m,
    n,
    k,
    sumCount: spec.sumCount ?? 1,
    batch2: Math.max(1, batch2),
    batchCount: batch1 * batch2,
    tilesM: Math.max(1, Math.ceil(m / GEMM_TILE)),
    aOffset: a.offset ?? 0,
    aRow: a.row,
    aCol: a.col,
    aBatch1: a.batch1 ?? 0,
    aBatch2: a.batch2 ?? 0,
    aSum: a.sum ?? 0,
    bOffset: b.offset ?? 0,
    bRow: b.row,
    bCol: b.col,
    bBatch1: b.batch1 ?? 0,
    bBatch2: b.batch2 ?? 0,
    bSum: b.sum ?? 0,
    cOffset: c.offset ?? 0,
    cRow: c.row,
    cBatch1: c.batch1 ?? 0,
    cBatch2: c.batch2 ?? 0,
    hasBias: bias ? 1 : 0,
    biasOffset: bias?.offset ?? 0,
    biasRow: bias?.row ?? 0,
    biasCol: bias?.col ?? 0,
    biasBatch1: bias?.batch1 ?? 0,
    biasBatch2: bias?.batch2 ?? 0,
    beta: spec.beta ?? 0,
  };
}

/** Workgroups: x over column tiles; row tiles × batch folded over y and z (each ≤ 65535). */
function gemmDispatch(p: Params): [number, number, number] {
  const tilesN = Math.max(1, Math.ceil(p.n / GEMM_TILE));
  if (tilesN > MAX_WORKGROUPS_PER_DIM) {
    throw new Error(
      `gemm/matmul: n = ${p.n} needs ${tilesN} column tiles, more than ${MAX_WORKGROUPS_PER_DIM}`,
    );
  }
  const rest = Math.max(1, p.tilesM * p.batchCount);
  const z = Math.ceil(rest / MAX_WORKGROUPS_PER_DIM);
  return [tilesN, Math.ceil(rest / z), z];
}

/**
 * C[z] = β·C[z] + bias[z] + Σ_s A[z,s]·B[z,s] over strided operands; buffers `[a, b, bias, c]`
 * (bind any buffer as `bias` when there is none), params from `gemmParams`. The GPU accumulates
 * each dot product sequentially in float32; the CPU twin is the blocked `gemmCpu`, which
 * accumulates in double within blocks of 256 — equal up to rounding (≲ K·2⁻²⁴·Σ|a·b|).
 */
export const gemmKernel = defineKernel(shaderSources['gemm/matmul'], {
  dispatch: gemmDispatch,
  // A faster kernel for aligned operands on devices with subgroups (gemm/matmul_sg).
  variant: gemmVariant,
  cpu: ([a, b, bias, c], p) => {
    const aData = a as Float32Array;
    const bData = b as Float32Array;
    const cData = c as Float32Array;
    const biasData = bias as Float32Array;
    const batch1 = p.batchCount / p.batch2;
    for (let z1 = 0; z1 < batch1; z1++) {
      for (let z2 = 0; z2 < p.batch2; z2++) {
        gemmCpu({
          m: p.m,
          n: p.n,
          k: p.k,
          a: { data: aData, offset: p.aOffset + z1 * p.aBatch1 + z2 * p.aBatch2, row: p.aRow, col: p.aCol },
          b: { data: bData, offset: p.bOffset + z1 * p.bBatch1 + z2 * p.bBatch2, row: p.bRow, col: p.bCol },
          c: { data: cData, offset: p.cOffset + z1 * p.cBatch1 + z2 * p.cBatch2, row: p.cRow, col: 1 },
          sumCount: p.sumCount,
          aSumStride: p.aSum,
          bSumStride: p.bSum,
          bias: p.hasBias
            ? {
                data: biasData,
                offset: p.biasOffset + z1 * p.biasBatch1 + z2 * p.biasBatch2,
                row: p.biasRow,
                col: p.biasCol,
              }
            : null,
          beta: p.beta,
        });
      }
    }
  },
});
