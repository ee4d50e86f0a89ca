import { defineKernel, linearDispatch, type Params } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { fracLevels, levelsWgsl } from './levels.js';

const f32 = Math.fround;

/**
 * Where the bit-width of element i lives: `lam[(i / inner) % groups]`. One λ for the tensor is
 * `{ inner: size, groups: 1 }`; one per leading slice (output channel of a conv/linear weight)
 * is `{ inner: size / C, groups: C }`.
 */
export interface LambdaLayout {
  readonly inner: number;
  readonly groups: number;
}

/** The λ layout for a tensor of `size` elements and a λ of `lambdaSize` entries (1 or C). */
export function lambdaLayout(size: number, lambdaSize: number): LambdaLayout {
  if (lambdaSize === 1) return { inner: Math.max(1, size), groups: 1 };
  if (lambdaSize < 1 || size % lambdaSize !== 0) {
    throw new Error(
      `lambdaLayout: ${lambdaSize} bit-widths do not split a tensor of ${size} elements into equal slices`,
    );
  }
  return { inner: size / lambdaSize, groups: lambdaSize };
}

/**
 * The fractional quantizer and its λ partial in one pass (shaders/quant/frac.wgsl):
 * `out = Qλ̂(u)·scale + shift`, `dlam = (Q_hi − Q_lo)·scale`. Buffers `[u, lam, out, dlam]`,
 * params `{ n, inner, groups, zero, scale, shift }` (see {@link fracParams}).
 */
export const fracQuantKernel = defineKernel(shaderSources['quant/frac'], {
  specialize: () => ({ LEVELS: levelsWgsl() }),
  dispatch: (p) => linearDispatch(p.n, 256),
  cpu: ([u, lam, out, dlam], p) => {
    const zero = f32(p.zero);
    const scale = f32(p.scale);
    const shift = f32(p.shift);
    for (let i = 0; i < p.n; i++) {
      const r = fracLevels(u[i], lam[Math.floor(i / p.inner) % p.groups], zero);
      out[i] = f32(r.q * scale) + shift;
      dlam[i] = f32(r.hi - r.lo) * scale;
    }
  },
});

export interface FracParamsOptions {
  /** The 0-bit level: 0.5 for weights (they become exactly 0), 0 for activations. */
  readonly zero: number;
  /** out = Q·scale + shift; keep scale a power of two (default 1, shift 0). */
  readonly scale?: number;
  readonly shift?: number;
}

export function fracParams(size: number, lambdaSize: number, options: FracParamsOptions): Params {
  const { inner, groups } = lambdaLayout(size, lambdaSize);
  return { n: size, inner, groups, zero: options.zero, scale: options.scale ?? 1, shift: options.shift ?? 0 };
}
