/**
 * Layout ops: permute/transpose, slice, pad and concat. They move elements without arithmetic, so
 * two kernels serve them all: `layout/copy` (a strided copy between two strided views) and
 * `layout/pad` (a strided scatter into a filled output). Slice and pad are each other's gradient.
 * Every 32-bit dtype is supported (the kernels move words); gradients flow for float32.
 */
import {
  padKernel,
  padParams,
  type ScalarType,
  stridedCopyKernel,
  stridedCopyParams,
  wordOf,
} from '@fracbits/kernels';
import type { DType } from '../dtype.js';
import { defineOp, type OpDef, run1 } from '../op.js';
import type { Shape } from '../shape.js';
import { stridesOf } from '../shape.js';
import type { Tensor } from '../tensor.js';

const ELEM: Record<DType, ScalarType> = { float32: 'f32', int32: 'i32', uint32: 'u32' };

function normalizeAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw new Error(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

// ---- permute ------------------------------------------------------------------------------------

interface PermuteAttrs {
  readonly dims: readonly number[];
}

const permuteOp = defineOp<PermuteAttrs>({
  name: 'permute',
  infer([x], { dims }) {
    const sorted = [...dims].sort((a, b) => a - b);
    if (dims.length !== x.rank || sorted.some((d, i) => d !== i)) {
      throw new Error(
        `permute: dims [${dims.join(', ')}] are not a permutation of the ${x.rank} axes of ${x.describe()}`,
      );
    }
    return [{ shape: dims.map((d) => x.shape[d]), dtype: x.dtype }];
  },
  forward({ inputs: [x], outputs: [y], attrs: { dims }, launch }) {
    const xs = stridesOf(x.shape);
    const params = stridedCopyParams(
      y.shape,
      { offset: 0, strides: dims.map((d) => xs[d]) },
      { offset: 0, strides: stridesOf(y.shape) },
    );
    launch(stridedCopyKernel, [x, y], params);
  },
  backward([g], { attrs: { dims } }) {
    if (!g) return [null];
    const inverse = new Array<number>(dims.length);
    dims.forEach((d, i) => {
      inverse[d] = i;
    });
    return [permute(g, inverse)];
  },
});

/** Reorders axes: output axis i is input axis dims[i] (negative entries count from the end). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  return run1(permuteOp, [x], { dims: dims.map((d) => (d < 0 ? d + x.rank : d)) });
}

/** Swaps axes a and b. */
export function transpose(x: Tensor, a: number, b: number): Tensor {
  const dims = Array.from({ length: x.rank }, (_, i) => i);
  const i = normalizeAxis('transpose', a, x.rank);
  const j = normalizeAxis('transpose', b, x.rank);
  [dims[i], dims[j]] = [dims[j], dims[i]];
  return run1(permuteOp, [x], { dims });
}

// ---- slice and strided pad (each other's gradient) ----------------------------------------------

interface SliceAttrs {
  /** Per axis, all normalised: first index, step (≥ 1) and output length. */
  readonly starts: readonly number[];
  readonly steps: readonly number[];
  readonly shape: Shape;
}

const sliceOp: OpDef<SliceAttrs> = defineOp<SliceAttrs>({
  name: 'slice',
  infer([x], { shape }) {
    return [{ shape, dtype: x.dtype }];
  },
  forward({ inputs: [x], outputs: [y], attrs: { starts, steps }, launch }) {
    if (y.size === 0) return;
    const xs = stridesOf(x.shape);
    const offset = starts.reduce((o, s, k) => o + s * xs[k], 0);
    const params = stridedCopyParams(
      y.shape,
      { offset, strides: xs.map((s, k) => s * steps[k]) },
      { offset: 0, strides: stridesOf(y.shape) },
    );
    launch(stridedCopyKernel, [x, y], params);
  },
  backward([g], { inputs: [x], attrs: { starts, steps } }) {
    return [g ? run1(stridedPadOp, [g], { shape: x.shape, before: starts, steps, value: 0 }) : null];
  },
});

interface StridedPadAttrs {
  /** Output shape; input coordinate t on axis k lands at before[k] + t·steps[k]. */
  readonly shape: Shape;
  readonly before: readonly number[];
  readonly steps: readonly number[];
  readonly value: number;
}

const stridedPadOp: OpDef<StridedPadAttrs> = defineOp<StridedPadAttrs>({
  name: 'stridedPad',
  infer([x], { shape, value }) {
    if (x.dtype !== 'float32' && !Number.isInteger(value)) {
      throw new Error(`pad: value ${value} cannot be stored in ${x.describe()} (not an integer)`);
    }
    return [{ shape, dtype: x.dtype }];
  },
  forward({ inputs: [x], outputs: [y], attrs: { before, steps, value }, launch }) {
    if (y.size === 0) return;
    const params = padParams({
      outShape: y.shape,
      xShape: x.shape,
      before,
      steps,
      fill: wordOf(value, ELEM[x.dtype]),
    });
    launch(padKernel, [x, y], params);
  },
  backward([g], { inputs: [x], attrs: { before, steps } }) {
    return [g ? run1(sliceOp, [g], { starts: before, steps, shape: x.shape }) : null];
  },
});

/**
 * Python-style slicing per axis: `starts`, `ends` (exclusive) and optional `steps` (≥ 1) give the
 * leading axes (missing entries take the whole axis). Negative indices count from the end and
 * indices are clamped into the axis, so `slice(x, [1], [-1])` drops the first and last rows.
 */
export function slice(
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  steps: readonly number[] = [],
): Tensor {
  const rank = x.rank;
  if (starts.length > rank || ends.length > rank || steps.length > rank) {
    throw new Error(
      `slice: starts [${starts.join(', ')}], ends [${ends.join(', ')}] and steps [${steps.join(', ')}] have more entries than the ${rank} axes of ${x.describe()}`,
    );
  }
  const first: number[] = [];
  const step: number[] = [];
  const shape: number[] = [];
  for (let k = 0; k < rank; k++) {
    const n = x.shape[k];
    const st = steps[k] ?? 1;
    if (!Number.isInteger(st) || st < 1)
      throw new Error(`slice: step ${st} on axis ${k} must be an integer ≥ 1`);
    const resolve = (i: number, what: string) => {
      if (!Number.isInteger(i)) throw new Error(`slice: ${what} ${i} on axis ${k} must be an integer`);
      return Math.min(Math.max(i < 0 ? i + n : i, 0), n);
    };
    const s = resolve(starts[k] ?? 0, 'start');
    const e = resolve(ends[k] ?? n, 'end');
    const len = e > s ? Math.ceil((e - s) / st) : 0;
    first.push(len > 0 ? s : 0);
    step.push(st);
    shape.push(len);
  }
  return run1(sliceOp, [x], { starts: first, steps: step, shape });
}

/**
 * Constant padding: `pads[k] = [before, after]` elements of `value` on each axis (one pair per
 * axis, non-negative; use `slice` to crop).
 */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  if (pads.length !== x.rank) {
    throw new Error(`pad: expected ${x.rank} [before, after] pairs for ${x.describe()}, got ${pads.length}`);
  }
  pads.forEach(([b, a], k) => {
    if (!Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0) {
      throw new Error(
        `pad: padding [${b}, ${a}] on axis ${k} must be non-negative integers (use slice to crop)`,
      );
    }
  });
  return run1(stridedPadOp, [x], {
    shape: x.shape.map((n, k) => pads[k][0] + n + pads[k][1]),
    before: pads.map(([b]) => b),
    steps: pads.map(() => 1),
    value,
  });
}

// ---- concat -------------------------------------------------------------------------------------

interface ConcatAttrs {
  readonly axis: number;
}

const concatOp = defineOp<ConcatAttrs>({
  name: 'concat',
  infer(inputs, { axis }) {
    const [first] = inputs;
    const shape = [...first.shape];
    shape[axis] = 0;
    for (const t of inputs) {
      const same = t.rank === first.rank && t.shape.every((n, k) => k === axis || n === first.shape[k]);
      if (!same || t.dtype !== first.dtype) {
        const expected = first.shape.map((n, k) => (k === axis ? '*' : n)).join(', ');
        throw new Error(
          `concat: along axis ${axis} every tensor needs ${first.dtype} and shape [${expected}], got ${t.describe()}`,
        );
      }
      shape[axis] += t.shape[axis];
    }
    return [{ shape, dtype: first.dtype }];
  },
  forward({ inputs, outputs: [y], attrs: { axis }, launch }) {
    // Each input is copied into its block of the output: same strides, offset by the block start.
    const ys = stridesOf(y.shape);
    let at = 0;
    for (const x of inputs) {
      if (x.size > 0) {
        const params = stridedCopyParams(
          x.shape,
          { offset: 0, strides: stridesOf(x.shape) },
          { offset: at * ys[axis], strides: ys },
        );
        launch(stridedCopyKernel, [x, y], params);
      }
      at += x.shape[axis];
    }
  },
  backward([g], { inputs, attrs: { axis } }) {
    if (!g) return inputs.map(() => null);
    let at = 0;
    return inputs.map((x) => {
      const start = at;
      at += x.shape[axis];
      if (!x.requiresGrad) return null;
      const starts = x.shape.map((_, k) => (k === axis ? start : 0));
      return run1(sliceOp, [g], { starts, steps: x.shape.map(() => 1), shape: x.shape });
    });
  },
});

/** Joins tensors along `axis`; all other dimensions (and the dtypes) must agree. */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  if (tensors.length === 0) throw new Error('concat: needs at least one tensor');
  const a = normalizeAxis('concat', axis, tensors[0].rank);
  return run1(concatOp, tensors, { axis: a });
}
