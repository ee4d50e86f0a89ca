import { defineKernel, linearDispatch, type Params } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { fracLevels, levelsWgsl } from './levels.js';

const f32 = Math.fround;

/**
 * Where the bit-width of element i lives: `lam[(i / inner) % groups]`. One λ for the tensor is
 * `{ inner: size, groups: 1 }`; one per slice along an axis (the output channel of a conv/linear
 * weight, axis 0; the channel of an NCHW activation, axis 1) is `{ inner: Π shape[axis+1:],
 * groups: shape[axis] }`.
 */
export interface LambdaLayout {
  readonly inner: number;
  readonly groups: number;
}

/** The λ layout of a tensor of `shape` for a λ of `lambdaSize` entries (1, or shape[axis]). */
export function lambdaLayout(shape: readonly number[], lambdaSize: number, axis = 0): LambdaLayout {
  const size = shape.reduce((a, b) => a * b, 1);
  if (lambdaSize === 1) return { inner: Math.max(1, size), groups: 1 };
  if (axis < 0 || axis >= shape.length || shape[axis] !== lambdaSize) {
    throw new Error(
      `lambdaLayout: ${lambdaSize} bit-widths need one per entry of axis ${axis} of shape [${shape.join(', ')}] (or a single one)`,
    );
  }
  return {
    inner: Math.max(
      1,
      shape.slice(axis + 1).reduce((a, b) => a * b, 1),
    ),
    groups: lambdaSize,
  };
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
  /** The axis a per-slice λ runs along (default 0, the output channels of a weight). */
  readonly axis?: number;
}

/** Launch params of {@link fracQuantKernel} for an input of `shape` and `lambdaSize` bit-widths. */
export function fracParams(shape: readonly number[], lambdaSize: number, options: FracParamsOptions): Params {
  const { inner, groups } = lambdaLayout(shape, lambdaSize, options.axis);
  const n = shape.reduce((a, b) => a * b, 1);
  return { n, inner, groups, zero: options.zero, scale: options.scale ?? 1, shift: options.shift ?? 0 };
}
