/**
 * Bilinear interpolation of a table defined on integer bit-widths, with its exact partial
 * derivatives. FracBits trains fractional bit-widths, so a cost model must give a value and a
 * gradient between integers; interpolating the measured table does both and agrees with the
 * table at every integer pair.
 *
 * On the cell [w0, w0 + 1] × [a0, a0 + 1] with fw = w − w0, fa = a − a0:
 *   t(w, a) = (1−fw)(1−fa)·t00 + fw(1−fa)·t10 + (1−fw)fa·t01 + fw·fa·t11
 *   ∂t/∂w   = (1−fa)(t10 − t00) + fa(t11 − t01)
 *   ∂t/∂a   = (1−fw)(t01 − t00) + fw(t11 − t10)
 * The function is continuous; at an integer the derivative is the one of the cell to its right
 * (to its left at 8), which is what a one-sided finite difference measures there.
 */

export interface Interpolated {
  readonly value: number;
  /** ∂value/∂w */
  readonly dw: number;
  /** ∂value/∂a */
  readonly da: number;
}

/** The lower corner of the cell holding x ∈ [0, 8]. */
function cellOf(x: number): number {
  return Math.min(Math.floor(x), 7);
}

/**
 * Interpolates `at(w, a)` (defined on integers 0..8) at fractional `w`, `a` in [0, 8]. Callers
 * validate the range; the cost model does, with a message naming the layer.
 */
export function bilinear(at: (w: number, a: number) => number, w: number, a: number): Interpolated {
  const w0 = cellOf(w);
  const a0 = cellOf(a);
  const fw = w - w0;
  const fa = a - a0;
  const t00 = at(w0, a0);
  const t10 = at(w0 + 1, a0);
  const t01 = at(w0, a0 + 1);
  const t11 = at(w0 + 1, a0 + 1);
  return {
    value: (1 - fw) * (1 - fa) * t00 + fw * (1 - fa) * t10 + (1 - fw) * fa * t01 + fw * fa * t11,
    dw: (1 - fa) * (t10 - t00) + fa * (t11 - t01),
    da: (1 - fw) * (t01 - t00) + fw * (t11 - t10),
  };
}
