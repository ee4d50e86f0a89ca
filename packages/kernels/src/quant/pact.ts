import { defineKernel, linearDispatch, type Params } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { sign } from '../math.js';
import { lambdaLayout } from './frac.js';
import { fracLevels, levelsWgsl } from './levels.js';

const f32 = Math.fround;

/** WGSL's `clamp(e, lo, hi) = min(max(e, lo), hi)` (exact on float32 values). */
function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/**
 * PACT with fractional bits, output and every gradient partial in one pass
 * (shaders/quant/pact.wgsl). Buffers `[x, alpha, lam, out, dx, dalpha, dlam]` (alpha has one
 * element), params `{ n, inner, groups, zero }` (see {@link pactParams}), defines
 * `{ signed: boolean }` for the double-sided variant.
 */
export const pactKernel = defineKernel(shaderSources['quant/pact'], {
  specialize: (defines) => ({ LEVELS: levelsWgsl(), SIGNED: defines.signed === true ? 'true' : 'false' }),
  dispatch: (p) => linearDispatch(p.n, 256),
  cpu: ([x, alpha, lam, out, dx, dalpha, dlam], p, defines) => {
    const signed = defines.signed === true;
    const zero = f32(p.zero);
    const al = alpha[0];
    const a = Math.abs(al);
    const s = sign(al);
    const floorX = signed ? -a : 0;
    for (let i = 0; i < p.n; i++) {
      const xi = x[i];
      const xc = f32(clamp(xi, floorX, a) / a);
      const u = signed ? f32(f32(xc + 1) * 0.5) : xc;
      const r = fracLevels(u, lam[Math.floor(i / p.inner) % p.groups], zero);
      const v = signed ? f32(2 * r.q - 1) : r.q;
      const d = signed ? 2 * f32(r.hi - r.lo) : f32(r.hi - r.lo);
      const inside = xi > floorX && xi < a;
      out[i] = a * v;
      dx[i] = inside ? 1 : 0;
      dalpha[i] = s * f32(v - (inside ? xc : 0));
      dlam[i] = a * d;
    }
  },
});

export interface PactParamsOptions {
  /** The 0-bit level (FRACBITS.md §2: 0 for activations). */
  readonly zero: number;
  /** The axis a per-channel λ runs along (default 1, the channels of NCHW). */
  readonly axis?: number;
}

/** Launch params of {@link pactKernel} for an input of `shape` and `lambdaSize` bit-widths. */
export function pactParams(shape: readonly number[], lambdaSize: number, options: PactParamsOptions): Params {
  const { inner, groups } = lambdaLayout(shape, lambdaSize, options.axis ?? 1);
  const n = shape.reduce((a, b) => a * b, 1);
  return { n, inner, groups, zero: options.zero };
}
