/**
 * From float weights on the DoReFa grid to the integer codes the format stores, for exporters:
 * a b-bit weight is w = s·(2j − L)/L with L = 2^b − 1 (FRACBITS.md §2), so j = (w/s·L + L)/2.
 */
import { checkBits, codeMax, roundHalfEven } from '@fracbits/kernels';

/**
 * Codes [channels, k] of weights [channels, k] (row-major) with per-channel bits and scales.
 * Weights off the grid go to the nearest level (ties to even); 0-bit channels give code 0.
 */
export function weightCodes(
  weights: ArrayLike<number>,
  k: number,
  bits: readonly number[],
  scales: number | ArrayLike<number> = 1,
): Uint8Array {
  if (weights.length !== bits.length * k) {
    throw new Error(
      `weightCodes: expected ${bits.length}×${k} = ${bits.length * k} weights, got ${weights.length}`,
    );
  }
  const codes = new Uint8Array(weights.length);
  bits.forEach((b, o) => {
    checkBits(b, `weightCodes: channel ${o}`);
    const L = codeMax(b);
    const s = typeof scales === 'number' ? scales : scales[o];
    if (!(s > 0) || !Number.isFinite(s))
      throw new Error(`weightCodes: channel ${o}: scale must be positive and finite, got ${s}`);
    for (let j = 0; j < k; j++) {
      const code = roundHalfEven(((weights[o * k + j] / s) * L + L) / 2);
      codes[o * k + j] = Math.min(L, Math.max(0, code));
    }
  });
  return codes;
}

/** The weight value of a code: s·(2j − L)/L (0 for 0 bits). */
export function weightValue(code: number, bits: number, scale = 1): number {
  const L = codeMax(bits);
  return L === 0 ? 0 : (scale * (2 * code - L)) / L;
}
