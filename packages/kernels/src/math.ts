/** Scalar helpers shared by CPU twins so that they match WGSL semantics. */

/** Round half to even, as WGSL `round()` and PyTorch's `torch.round` (Math.round is half-up). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends ties up; move odd results of exact ties back down to the even neighbour.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** WGSL `sign`: -1, 0 or 1 (0 for ±0; NaN propagates). */
export function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : x;
}

export const f32 = Math.fround;
