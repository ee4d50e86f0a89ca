/**
 * Row statistics shared by the CPU twins of the row kernels (softmax, cross-entropy): the same
 * float32 steps, in the same order, as their WGSL loops.
 */

const f32 = Math.fround;

/** max_j x[base + j·step] for j < len (len ≥ 1); a NaN wins, as in the WGSL `select`. */
export function rowMax(x: ArrayLike<number>, base: number, len: number, step: number): number {
  let m = x[base];
  for (let j = 1; j < len; j++) {
    const v = x[base + j * step];
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

/** Σ_j exp(x[base + j·step] − m), accumulated in float32 in index order. */
export function rowSumExp(x: ArrayLike<number>, base: number, len: number, step: number, m: number): number {
  let s = 0;
  for (let j = 0; j < len; j++) s = f32(s + f32(Math.exp(f32(x[base + j * step] - m))));
  return s;
}

/** The label index a row kernel reads: `label` clamped into [0, classes). */
export function clampLabel(label: number, classes: number): number {
  return label < 0 ? 0 : label >= classes ? classes - 1 : label;
}
