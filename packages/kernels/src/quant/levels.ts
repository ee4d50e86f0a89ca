/**
 * The k-bit quantizer levels of FracBits (FRACBITS.md §2) on the CPU, matching
 * `shaders/quant/level.wgsl` bit for bit, and the splice that shares that file's level functions
 * with the other quant kernels.
 */
import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { roundHalfEven } from '../math.js';

const f32 = Math.fround;

/** Largest bit-width the quant kernels accept (`MAX_BITS` in level.wgsl). */
export const MAX_QUANT_BITS = 16;

/**
 * Q_k(u) = roundHalfEven((2^k − 1)·u) / (2^k − 1) for k ≥ 1 and `zero` for k = 0, in float32.
 * The division is correctly rounded, as PyTorch's: the double quotient of two integers below 2^24
 * never lies close enough to a float32 rounding midpoint for the second rounding to matter.
 */
export function quantLevel(u: number, k: number, zero: number): number {
  if (k === 0) return f32(zero);
  const kk = Math.min(k, MAX_QUANT_BITS);
  const n = 2 ** kk - 1;
  const m = roundHalfEven(f32(u * n));
  return m === 0 ? 0 : f32(m / n);
}

export interface FracLevels {
  /** Q_floor(λ̂)(u) */
  readonly lo: number;
  /** Q_ceil(λ̂)(u) */
  readonly hi: number;
  /** f·Q_hi + (1 − f)·Q_lo with f = λ̂ − floor(λ̂) */
  readonly q: number;
}

/** The fractional quantizer at a clamped bit-width `lam` (`frac_quantize` in level.wgsl). */
export function fracLevels(u: number, lam: number, zero: number): FracLevels {
  const l = f32(lam);
  const flo = Math.floor(l);
  const f = f32(l - flo);
  const lo = quantLevel(u, flo, zero);
  const hi = quantLevel(u, Math.ceil(l), zero);
  return { lo, hi, q: f32(f32(f * hi) + f32(f32(1 - f) * lo)) };
}

const BEGIN = '// BEGIN LEVELS';
const END = '// END LEVELS';

const levelShader = shaderSources['quant/level'];

/**
 * The shared WGSL section of quant/level.wgsl, for the `{{LEVELS}}` template variable of the
 * other quant kernels (with its own template variables at their defaults).
 */
export function levelsWgsl(): string {
  const source = levelShader.source;
  const start = source.indexOf(BEGIN);
  const end = source.indexOf(END);
  if (start < 0 || end < start) throw new Error(`quant/level.wgsl: missing "${BEGIN}" / "${END}" markers`);
  return source.slice(start, end + END.length).replace('{{DIV_GUESS}}', levelShader.defines.DIV_GUESS);
}

/**
 * out[i] = Q_k(u[i]); params `{ n, k, zero }` (k an integer in [0, 16]). Tabulates levels.
 * Define `divGuess` (a WGSL expression in m and p = 2^k) replaces the first guess of the
 * quotient m / (p − 1); the result must not change (tests check the exact fix-up with it).
 */
export const quantLevelKernel = defineKernel(levelShader, {
  specialize: (defines): Record<string, string> =>
    defines.divGuess === undefined ? {} : { DIV_GUESS: String(defines.divGuess) },
  dispatch: (p) => linearDispatch(p.n, 256),
  cpu: ([u, out], p) => {
    for (let i = 0; i < p.n; i++) out[i] = quantLevel(u[i], p.k, p.zero);
  },
});
