/**
 * The CPU GEMM behind the `gemm/matmul` kernel's twin: C = β·C + bias + Σ_s A_s·B_s on strided
 * float32 matrices, in the GotoBLAS shape. A is packed into row panels of MR = 4 and B into
 * column panels of NR = 4 (k-major, zero-padded), and a 4×4 micro-kernel keeps 16 accumulators
 * in registers while it streams both panels contiguously. Blocking over K (KC), M (MC) and
 * N (NC) keeps the packed blocks in cache, and packing absorbs every stride pattern (transposed
 * operands, im2col matrices read as columns).
 *
 * When A has few rows (m ≤ IN_PLACE_B_MAX_M, e.g. a convolution's output channels), each packed
 * B element would be used by at most a few row panels, so the copy costs more than it saves: B is
 * then read in place through its strides (a dot product down k-contiguous columns, or four
 * adjacent columns of a row-major matrix per k). Ragged edges (m or n not multiples of 4) go
 * through one-row / one-column kernels that write only existing elements.
 *
 * Precision: each KC-long slice of a dot product accumulates in double (JavaScript's number) and
 * is added to C in float32, so results differ from a sequential float32 sum (the WGSL kernel) by
 * rounding only: |error| ≲ K·2⁻²⁴·Σ|a·b|. Tests state their tolerance against that bound.
 */

/** Element (i, j) of a strided matrix lives at `offset + i·row + j·col` of `data`. */
export interface StridedMatrix {
  readonly data: Float32Array;
  readonly offset: number;
  readonly row: number;
  readonly col: number;
}

export interface CpuGemmArgs {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** A is m×k. */
  readonly a: StridedMatrix;
  /** B is k×n. */
  readonly b: StridedMatrix;
  /** C is m×n with unit column stride; `col` is ignored. */
  readonly c: StridedMatrix;
  /** Number of products summed into C (A and B advance by their sum strides); default 1. */
  readonly sumCount?: number;
  readonly aSumStride?: number;
  readonly bSumStride?: number;
  /** m×n bias added to C (strides 0 broadcast it); absent: no bias. */
  readonly bias?: StridedMatrix | null;
  /** 1: accumulate into C's previous contents; 0 (default): overwrite. */
  readonly beta?: number;
}

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
const NC = 1024;
/** Read B in place (no packing) when A has at most this many rows; measured crossover ≈ 16–64. */
const IN_PLACE_B_MAX_M = 32;

// Packing buffers, sized for the largest block and reused by every call (JavaScript is
// single-threaded), so a GEMM allocates nothing.
const packA = new Float32Array(MC * KC);
const packB = new Float32Array(KC * NC);

/**
 * Packs rows [start, start+count) × k-range [k0, k0+kc) of a strided matrix into panels of
 * `width` rows, each panel stored k-major (`width` consecutive values per k), zero-padded to a
 * whole panel. `lineStride` moves along the panel dimension, `kStride` along k.
 */
function packPanels(
  src: Float32Array,
  base: number,
  lineStride: number,
  kStride: number,
  start: number,
  count: number,
  k0: number,
  kc: number,
  width: number,
  dst: Float32Array,
): void {
  const panels = Math.ceil(count / width);
  for (let p = 0; p < panels; p++) {
    const panelBase = p * width * kc;
    for (let r = 0; r < width; r++) {
      const line = p * width + r;
      let d = panelBase + r;
      if (line >= count) {
        for (let k = 0; k < kc; k++, d += width) dst[d] = 0;
        continue;
      }
      let s = base + (start + line) * lineStride + k0 * kStride;
      if (kStride === 1) {
        for (let k = 0; k < kc; k++, d += width) dst[d] = src[s + k];
      } else {
        for (let k = 0; k < kc; k++, d += width, s += kStride) dst[d] = src[s];
      }
    }
  }
}

/** C[ci + r·ldc + c] += Σ_k Ap[ia + 4k + r]·Bp[ib + 4k + c] for a 4×4 tile. */
function microKernel(
  ap: Float32Array,
  bp: Float32Array,
  out: Float32Array,
  kc: number,
  ia: number,
  ib: number,
  ci: number,
  ldc: number,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0,
    c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0,
    c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  for (let k = 0; k < kc; k++) {
    const a0 = ap[ia];
    const a1 = ap[ia + 1];
    const a2 = ap[ia + 2];
    const a3 = ap[ia + 3];
    let b = bp[ib];
    c00 += a0 * b;
    c10 += a1 * b;
    c20 += a2 * b;
    c30 += a3 * b;
    b = bp[ib + 1];
    c01 += a0 * b;
    c11 += a1 * b;
    c21 += a2 * b;
    c31 += a3 * b;
    b = bp[ib + 2];
    c02 += a0 * b;
    c12 += a1 * b;
    c22 += a2 * b;
    c32 += a3 * b;
    b = bp[ib + 3];
    c03 += a0 * b;
    c13 += a1 * b;
    c23 += a2 * b;
    c33 += a3 * b;
    ia += MR;
    ib += NR;
  }
  out[ci] += c00;
  out[ci + 1] += c01;
  out[ci + 2] += c02;
  out[ci + 3] += c03;
  ci += ldc;
  out[ci] += c10;
  out[ci + 1] += c11;
  out[ci + 2] += c12;
  out[ci + 3] += c13;
  ci += ldc;
  out[ci] += c20;
  out[ci + 1] += c21;
  out[ci + 2] += c22;
  out[ci + 3] += c23;
  ci += ldc;
  out[ci] += c30;
  out[ci + 1] += c31;
  out[ci + 2] += c32;
  out[ci + 3] += c33;
}

/**
 * The micro-kernel for B read in place: out[ci + r·ldc + q] += Σ_k Ap[ia + 4k + r]·B(k, q) with
 * B(k, q) = b[ib + k·kb + q·ldb]. (A separate function: the fixed-stride kernel above is faster
 * on packed panels.)
 */
function microKernelStrided(
  ap: Float32Array,
  ia: number,
  b: Float32Array,
  ib: number,
  ldb: number,
  kb: number,
  kc: number,
  out: Float32Array,
  ci: number,
  ldc: number,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0,
    c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0,
    c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  const ib1 = ib + ldb;
  const ib2 = ib1 + ldb;
  const ib3 = ib2 + ldb;
  for (let k = 0, pb = 0; k < kc; k++, pb += kb, ia += MR) {
    const a0 = ap[ia];
    const a1 = ap[ia + 1];
    const a2 = ap[ia + 2];
    const a3 = ap[ia + 3];
    let v = b[ib + pb];
    c00 += a0 * v;
    c10 += a1 * v;
    c20 += a2 * v;
    c30 += a3 * v;
    v = b[ib1 + pb];
    c01 += a0 * v;
    c11 += a1 * v;
    c21 += a2 * v;
    c31 += a3 * v;
    v = b[ib2 + pb];
    c02 += a0 * v;
    c12 += a1 * v;
    c22 += a2 * v;
    c32 += a3 * v;
    v = b[ib3 + pb];
    c03 += a0 * v;
    c13 += a1 * v;
    c23 += a2 * v;
    c33 += a3 * v;
  }
  out[ci] += c00;
  out[ci + 1] += c01;
  out[ci + 2] += c02;
  out[ci + 3] += c03;
  ci += ldc;
  out[ci] += c10;
  out[ci + 1] += c11;
  out[ci + 2] += c12;
  out[ci + 3] += c13;
  ci += ldc;
  out[ci] += c20;
  out[ci + 1] += c21;
  out[ci + 2] += c22;
  out[ci + 3] += c23;
  ci += ldc;
  out[ci] += c30;
  out[ci + 1] += c31;
  out[ci + 2] += c32;
  out[ci + 3] += c33;
}

/** One row of a tile (A lane `ia` = panel start + r), four columns of B (strided as above). */
function rowKernel(
  ap: Float32Array,
  ia: number,
  b: Float32Array,
  ib: number,
  ldb: number,
  kb: number,
  kc: number,
  out: Float32Array,
  ci: number,
): void {
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  const ib1 = ib + ldb;
  const ib2 = ib1 + ldb;
  const ib3 = ib2 + ldb;
  for (let k = 0, pb = 0; k < kc; k++, pb += kb, ia += MR) {
    const a = ap[ia];
    c0 += a * b[ib + pb];
    c1 += a * b[ib1 + pb];
    c2 += a * b[ib2 + pb];
    c3 += a * b[ib3 + pb];
  }
  out[ci] += c0;
  out[ci + 1] += c1;
  out[ci + 2] += c2;
  out[ci + 3] += c3;
}

/** Four rows of a tile, one column of B (`ib` = its start, k stride `kb`). */
function colKernel(
  ap: Float32Array,
  ia: number,
  b: Float32Array,
  ib: number,
  kb: number,
  kc: number,
  out: Float32Array,
  ci: number,
  ldc: number,
): void {
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  for (let k = 0; k < kc; k++, ib += kb, ia += MR) {
    const v = b[ib];
    c0 += ap[ia] * v;
    c1 += ap[ia + 1] * v;
    c2 += ap[ia + 2] * v;
    c3 += ap[ia + 3] * v;
  }
  out[ci] += c0;
  out[ci + ldc] += c1;
  out[ci + 2 * ldc] += c2;
  out[ci + 3 * ldc] += c3;
}

/**
 * A ragged tile (rows < 4 or cols < 4 at the matrix edge): whole rows or columns through the
 * narrow kernels, writing only elements that exist (the panels' zero padding is never stored).
 */
function edgeTile(
  rows: number,
  cols: number,
  kc: number,
  ia: number,
  b: Float32Array,
  ib: number,
  ldb: number,
  kb: number,
  out: Float32Array,
  ci: number,
  ldc: number,
): void {
  if (cols === NR) {
    for (let r = 0; r < rows; r++) rowKernel(packA, ia + r, b, ib, ldb, kb, kc, out, ci + r * ldc);
  } else if (rows === MR) {
    for (let q = 0; q < cols; q++) colKernel(packA, ia, b, ib + q * ldb, kb, kc, out, ci + q, ldc);
  } else {
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        let acc = 0;
        for (let k = 0; k < kc; k++) acc += packA[ia + r + k * MR] * b[ib + q * ldb + k * kb];
        out[ci + r * ldc + q] += acc;
      }
    }
  }
}

/** Sets C to β·C + bias (the starting value every product is then added to). */
function initOutput(args: CpuGemmArgs): void {
  const { m, n, c, bias } = args;
  const keep = (args.beta ?? 0) !== 0;
  const out = c.data;
  for (let i = 0; i < m; i++) {
    const row = c.offset + i * c.row;
    if (!keep) for (let j = 0; j < n; j++) out[row + j] = 0;
    if (bias) {
      let s = bias.offset + i * bias.row;
      for (let j = 0; j < n; j++, s += bias.col) out[row + j] += bias.data[s];
    }
  }
}

/** C = β·C + bias + Σ_s A_s·B_s (see the module comment for blocking and precision). */
export function gemmCpu(args: CpuGemmArgs): void {
  const { m, n, k, a, b, c } = args;
  if (m === 0 || n === 0) return;
  initOutput(args);
  const sumCount = args.sumCount ?? 1;
  if (k === 0 || sumCount === 0) return;
  const ldc = c.row;
  const out = c.data;
  const inPlace = m <= IN_PLACE_B_MAX_M;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let s = 0; s < sumCount; s++) {
      const aBase = a.offset + s * (args.aSumStride ?? 0);
      const bBase = b.offset + s * (args.bSumStride ?? 0);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        // B's panels run along its columns (stride b.col) with k along its rows (stride b.row).
        if (!inPlace) packPanels(b.data, bBase, b.col, b.row, jc, nc, pc, kc, NR, packB);
        const bData = inPlace ? b.data : packB;
        const ldb = inPlace ? b.col : 1;
        const kb = inPlace ? b.row : NR;
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          packPanels(a.data, aBase, a.row, a.col, ic, mc, pc, kc, MR, packA);
          for (let jr = 0; jr < nc; jr += NR) {
            const ib = inPlace ? bBase + pc * b.row + (jc + jr) * b.col : jr * kc;
            const cols = Math.min(NR, nc - jr);
            for (let ir = 0; ir < mc; ir += MR) {
              const ia = ir * kc;
              const ci = c.offset + (ic + ir) * ldc + jc + jr;
              const rows = Math.min(MR, mc - ir);
              if (rows < MR || cols < NR) edgeTile(rows, cols, kc, ia, bData, ib, ldb, kb, out, ci, ldc);
              else if (inPlace) microKernelStrided(packA, ia, bData, ib, ldb, kb, kc, out, ci, ldc);
              else microKernel(packA, packB, out, kc, ia, ib, ci, ldc);
            }
          }
        }
      }
    }
  }
}
