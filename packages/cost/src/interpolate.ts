/**
 * Smooth extension of integer-bit costs to fractional bit-widths, in the spirit of the fractional
 * quantizer (FRACBITS.md §2: a fractional λ mixes the floor and ceil quantizers): between integer
 * bit-widths the cost is the linear (bilinear in (w, a)) interpolation of the integer-bit costs,
 * so it equals the integer formula exactly at integers and its gradient is the difference of the
 * neighbouring integer costs.
 */
import type { Term } from './kernels.js';

/**
 * The integer segment [lo, lo + 1] used at `b`, and the position t ∈ [0, 1] in it. At an exact
 * integer k > 0 the segment below is used (t = 1, value exactly f(k)), so the slope at the upper
 * clamp bound never needs an entry above it; at 0 the segment [0, 1].
 */
function segment(b: number): { lo: number; t: number } {
  const lo = b <= 0 ? 0 : Math.ceil(b) - 1;
  return { lo, t: b - lo };
}

/** Bilinear interpolation of `f` over the integer grid at (w, a), with its partial derivatives. */
export function bilinear(w: number, a: number, f: (wBits: number, aBits: number) => number): Term {
  const { lo: w0, t: tw } = segment(w);
  const { lo: a0, t: ta } = segment(a);
  const f00 = f(w0, a0);
  const f10 = f(w0 + 1, a0);
  const f01 = f(w0, a0 + 1);
  const f11 = f(w0 + 1, a0 + 1);
  return {
    value: (1 - tw) * (1 - ta) * f00 + tw * (1 - ta) * f10 + (1 - tw) * ta * f01 + tw * ta * f11,
    dw: (1 - ta) * (f10 - f00) + ta * (f11 - f01),
    da: (1 - tw) * (f01 - f00) + tw * (f11 - f10),
  };
}
