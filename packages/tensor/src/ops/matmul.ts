/**
 * Matrix products on the strided GEMM kernel (`gemm/matmul`): `matmul` ([M,K]×[K,N], batched
 * [B,M,K]×[B,K,N] with a batch of 1 broadcast, either operand transposed without a copy) and
 * `linear` (x·Wᵀ + b with the bias fused into the GEMM). Backward rules are matmuls with
 * transpose flags; a gradient for a broadcast operand is summed over the batch inside the GEMM
 * (its `sumCount`), so no [B, …] intermediate is materialised.
 */
import { type GemmLayout, gemmKernel, gemmParams } from '@fracbits/kernels';
import { defineOp, expectFloat, type OpDef, run1 } from '../op.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';

export interface MatmulOptions {
  /** Use aᵀ (the last two axes swapped) without materialising it. */
  readonly transA?: boolean;
  /** Use bᵀ (the last two axes swapped) without materialising it. */
  readonly transB?: boolean;
}

interface MatmulAttrs {
  readonly transA: boolean;
  readonly transB: boolean;
  /** Sum the batch of products into one [M, N] result (used by backward rules). */
  readonly sumBatch: boolean;
}

interface MatmulDims {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Batch sizes of a and b (1 for a rank-2 operand) and of the product. */
  readonly batchA: number;
  readonly batchB: number;
  readonly batch: number;
  readonly outShape: number[];
}

function matmulDims(a: Tensor, b: Tensor, attrs: MatmulAttrs): MatmulDims {
  for (const [name, t] of [
    ['a', a],
    ['b', b],
  ] as const) {
    expectFloat('matmul', t);
    if (t.rank !== 2 && t.rank !== 3) {
      throw new Error(
        `matmul: expected ${name} of rank 2 (matrix) or 3 (batch of matrices), got ${t.describe()}`,
      );
    }
  }
  const last = (t: Tensor, transposed: boolean): [number, number] => {
    const r = t.shape[t.rank - 2];
    const c = t.shape[t.rank - 1];
    return transposed ? [c, r] : [r, c];
  };
  const [m, ka] = last(a, attrs.transA);
  const [kb, n] = last(b, attrs.transB);
  if (ka !== kb) {
    const ta = attrs.transA ? 'ᵀ' : '';
    const tb = attrs.transB ? 'ᵀ' : '';
    throw new Error(
      `matmul: inner dimensions differ: a${ta} of ${a.describe()} has ${ka} columns, b${tb} of ${b.describe()} has ${kb} rows`,
    );
  }
  const batchA = a.rank === 3 ? a.shape[0] : 1;
  const batchB = b.rank === 3 ? b.shape[0] : 1;
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) {
    throw new Error(`matmul: batch sizes of ${a.describe()} and ${b.describe()} cannot be broadcast`);
  }
  const batch = Math.max(batchA, batchB);
  const batched = (a.rank === 3 || b.rank === 3) && !attrs.sumBatch;
  return { m, n, k: ka, batchA, batchB, batch, outShape: batched ? [batch, m, n] : [m, n] };
}

const matmulOp: OpDef<MatmulAttrs> = defineOp<MatmulAttrs>({
  name: 'matmul',
  infer([a, b], attrs) {
    return [{ shape: matmulDims(a, b, attrs).outShape, dtype: 'float32' }];
  },
  forward({ inputs: [a, b], outputs: [y], attrs, launch }) {
    const { m, n, k, batchA, batchB, batch } = matmulDims(a, b, attrs);
    const batchStrideA = batchA > 1 ? m * k : 0;
    const batchStrideB = batchB > 1 ? k * n : 0;
    const aLayout: GemmLayout = attrs.transA ? { row: 1, col: m } : { row: k, col: 1 };
    const bLayout: GemmLayout = attrs.transB ? { row: 1, col: k } : { row: n, col: 1 };
    const params = attrs.sumBatch
      ? gemmParams({
          m,
          n,
          k,
          sumCount: batch,
          a: { ...aLayout, sum: batchStrideA },
          b: { ...bLayout, sum: batchStrideB },
          c: { row: n },
        })
      : gemmParams({
          m,
          n,
          k,
          batch1: batch,
          a: { ...aLayout, batch1: batchStrideA },
          b: { ...bLayout, batch1: batchStrideB },
          c: { row: n, batch1: m * n },
        });
    // No bias: any buffer fills the binding (it is not read).
    launch(gemmKernel, [a, b, a, y], params);
  },
  backward([g], { inputs: [a, b], attrs }) {
    if (!g) return [null, null];
    const { transA, transB } = attrs;
    const { batchA, batchB, batch } = matmulDims(a, b, attrs);
    // With C = op(A)·op(B): d op(A) = G·op(B)ᵀ and d op(B) = op(A)ᵀ·G; transposed operands take
    // the transpose of those. An operand broadcast over the batch gets the batch sum.
    const grad = (
      x: Tensor,
      y: Tensor,
      tx: boolean,
      ty: boolean,
      input: Tensor,
      broadcast: boolean,
    ): Tensor => {
      const r = run1(matmulOp, [x, y], { transA: tx, transB: ty, sumBatch: broadcast && batch > 1 });
      return shapesEqual(r.shape, input.shape) ? r : reshape(r, input.shape);
    };
    const ga = a.requiresGrad
      ? transA
        ? grad(b, g, transB, true, a, batchA === 1)
        : grad(g, b, false, !transB, a, batchA === 1)
      : null;
    const gb = b.requiresGrad
      ? transB
        ? grad(g, a, true, transA, b, batchB === 1)
        : grad(a, g, !transA, false, b, batchB === 1)
      : null;
    return [ga, gb];
  },
});

/**
 * Matrix product op(a)·op(b) where op transposes when `transA`/`transB` is set. Operands are
 * [M, K] matrices or [B, M, K] batches; a batch of 1 (or a plain matrix) broadcasts against the
 * other operand's batch. Result: [M, N], or [B, M, N] when either operand is batched.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  return run1(matmulOp, [a, b], {
    transA: options.transA ?? false,
    transB: options.transB ?? false,
    sumBatch: false,
  });
}

// ---- linear -------------------------------------------------------------------------------------

const linearOp = defineOp<Record<string, never>>({
  name: 'linear',
  infer([x, w, b]) {
    expectFloat('linear', x);
    expectFloat('linear', w);
    if (x.rank !== 2) throw new Error(`linear: expected input [N, in], got ${x.describe()}`);
    if (w.rank !== 2 || w.shape[1] !== x.shape[1]) {
      throw new Error(
        `linear: weight ${w.describe()} does not match input ${x.describe()}: expected [out, ${x.shape[1]}]`,
      );
    }
    if (b && (b.rank !== 1 || b.shape[0] !== w.shape[0])) {
      throw new Error(
        `linear: bias ${b.describe()} does not match weight ${w.describe()}: expected [${w.shape[0]}]`,
      );
    }
    return [{ shape: [x.shape[0], w.shape[0]], dtype: 'float32' }];
  },
  forward({ inputs: [x, w, b], outputs: [y], launch }) {
    const [rows, k] = x.shape;
    const out = w.shape[0];
    const params = gemmParams({
      m: rows,
      n: out,
      k,
      a: { row: k, col: 1 },
      b: { row: 1, col: k }, // Wᵀ read in place
      c: { row: out },
      bias: b ? { row: 0, col: 1 } : null,
    });
    launch(gemmKernel, [x, w, b ?? x, y], params);
  },
  backward([g], { inputs: [x, w, b] }) {
    if (!g) return [null, null, null];
    return [
      x.requiresGrad ? matmul(g, w) : null,
      w.requiresGrad ? matmul(g, x, { transA: true }) : null,
      b?.requiresGrad ? sum(g, 0) : null,
    ];
  },
});

/**
 * A fully connected layer: x·Wᵀ + b for x [N, in] (or [..., in]: leading axes are flattened and
 * restored), w [out, in] and an optional bias [out]; the bias is added inside the GEMM.
 */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  if (x.rank < 2) throw new Error(`linear: expected input [N, in] or [..., in], got ${x.describe()}`);
  const inputs = b ? [x, w, b] : [x, w];
  if (x.rank === 2) return run1(linearOp, inputs, {});
  const lead = x.shape.slice(0, -1);
  inputs[0] = reshape(x, [-1, x.shape[x.rank - 1]]);
  const y = run1(linearOp, inputs, {});
  return reshape(y, [...lead, y.shape[1]]);
}
