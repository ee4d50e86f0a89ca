import { defineKernel, linearDispatch, type Params } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';

/** The binary functions `elementwise/binary` can apply to (x, y). */
export const BINARY_FUNCTIONS = {
  /** x (broadcasts `a` to the output shape; `b` is ignored) */
  left: { wgsl: 'x', cpu: (x: number, _y: number) => x },
  add: { wgsl: 'x + y', cpu: (x: number, y: number) => x + y },
  sub: { wgsl: 'x - y', cpu: (x: number, y: number) => x - y },
  mul: { wgsl: 'x * y', cpu: (x: number, y: number) => x * y },
  div: { wgsl: 'x / y', cpu: (x: number, y: number) => x / y },
  maximum: { wgsl: 'max(x, y)', cpu: (x: number, y: number) => Math.max(x, y) },
  minimum: { wgsl: 'min(x, y)', cpu: (x: number, y: number) => Math.min(x, y) },
  pow: { wgsl: 'pow(x, y)', cpu: (x: number, y: number) => x ** y },
  /** 1 where x > y */
  greater: { wgsl: 'select(0.0, 1.0, x > y)', cpu: (x: number, y: number) => (x > y ? 1 : 0) },
  /** 1 where x ≥ y */
  greaterEqual: { wgsl: 'select(0.0, 1.0, x >= y)', cpu: (x: number, y: number) => (x >= y ? 1 : 0) },
  /** 1 where x == y */
  equal: { wgsl: 'select(0.0, 1.0, x == y)', cpu: (x: number, y: number) => (x === y ? 1 : 0) },
} as const;

export type BinaryFunction = keyof typeof BINARY_FUNCTIONS;

function fn(defines: Readonly<Record<string, unknown>>) {
  const f = BINARY_FUNCTIONS[String(defines.op) as BinaryFunction];
  if (!f) throw new Error(`elementwise/binary: unknown op "${String(defines.op)}"`);
  return f;
}

export const BINARY_MAX_RANK = 6;

/**
 * Params for a broadcast launch: output shape padded to rank 6 and both inputs' strides in that
 * frame (0 on broadcast dimensions).
 */
export function binaryParams(
  outShape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
): Params {
  if (outShape.length > BINARY_MAX_RANK)
    throw new Error(`elementwise/binary: rank ${outShape.length} > ${BINARY_MAX_RANK}`);
  const pad = BINARY_MAX_RANK - outShape.length;
  const p: Record<string, number> = { n: outShape.reduce((x, y) => x * y, 1) };
  for (let i = 0; i < BINARY_MAX_RANK; i++) {
    const j = i - pad;
    p[`d${i}`] = j < 0 ? 1 : outShape[j];
    p[`sa${i}`] = j < 0 ? 0 : aStrides[j];
    p[`sb${i}`] = j < 0 ? 0 : bStrides[j];
  }
  return p;
}

/** out = f(a, b) with broadcasting; defines `{ op: BinaryFunction }`, params from `binaryParams`. */
export const binaryKernel = defineKernel(shaderSources['elementwise/binary'], {
  specialize: (defines) => ({ EXPR: fn(defines).wgsl }),
  dispatch: (params) => linearDispatch(params.n, 256),
  cpu: ([a, b, out], p, defines) => {
    const f = fn(defines).cpu;
    const n = p.n;
    const d = [p.d0, p.d1, p.d2, p.d3, p.d4, p.d5];
    const sa = [p.sa0, p.sa1, p.sa2, p.sa3, p.sa4, p.sa5];
    const sb = [p.sb0, p.sb1, p.sb2, p.sb3, p.sb4, p.sb5];
    const contiguousA = sa.every((s, i) => s === d.slice(i + 1).reduce((x, y) => x * y, 1) || d[i] === 1);
    const contiguousB = sb.every((s, i) => s === d.slice(i + 1).reduce((x, y) => x * y, 1) || d[i] === 1);
    if (contiguousA && contiguousB) {
      // Monomorphic loops for the ops training runs on every tensor (see unary.ts HOT_LOOPS).
      const op = String(defines.op);
      if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
      else if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
      else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
      else for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
      return;
    }
    // Odometer over the padded output index, tracking both input offsets incrementally.
    const idx = [0, 0, 0, 0, 0, 0];
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < n; i++) {
      out[i] = f(a[ia], b[ib]);
      for (let k = 5; k >= 0; k--) {
        idx[k]++;
        ia += sa[k];
        ib += sb[k];
        if (idx[k] < d[k]) break;
        ia -= sa[k] * d[k];
        ib -= sb[k] * d[k];
        idx[k] = 0;
      }
    }
  },
});
