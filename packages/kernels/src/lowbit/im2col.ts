import type { Conv2dGeometry } from '../conv/geometry.js';
import { type CpuBuffer, defineKernel, linearDispatch, type Params } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { roundHalfEven } from '../math.js';
import { checkBits, codeMax } from './format.js';
import { GATHER_WGSL } from './splice.js';

const f32 = Math.fround;

/** PACT quantization of a layer's input: clip α > 0 and 1..8 bits (FRACBITS.md §2). */
export interface ActQuant {
  readonly alpha: number;
  readonly bits: number;
}

/**
 * The PACT code of v, round-half-to-even(clamp(v, 0, α) / α · (2^bits − 1)) with the quotient and
 * the product rounded to float32, as the training quantizer (and `act_code` in the WGSL).
 */
export function actCode(v: number, alpha: number, levels: number): number {
  const a = f32(alpha);
  return roundHalfEven(f32(f32(Math.min(Math.max(v, 0), a) / a) * levels));
}

/** Words of one group's segment of a low-bit activation row: ceil(taps / 4), taps = cg·kh·kw. */
export function lowbitSegmentWords(g: Conv2dGeometry, groups: number): number {
  return Math.ceil(((g.c / groups) * g.kh * g.kw) / 4);
}

/**
 * Params of `lowbitIm2colKernel` / `lowbitIm2colPackedKernel` for `n` samples of x [n, c, h, w],
 * a convolution of geometry `g` with `groups` groups, and the layer's input quantization (`null`:
 * float input, only for the float kernel with `{ quant: false }`).
 */
export function lowbitIm2colParams(
  g: Conv2dGeometry,
  n: number,
  groups: number,
  act: ActQuant | null,
): Params {
  if (!Number.isInteger(groups) || groups < 1 || g.c % groups !== 0) {
    throw new Error(`lowbit/im2col: groups must divide the ${g.c} input channels, got ${groups}`);
  }
  if (act) {
    checkBits(act.bits, 'lowbit/im2col: activation', 1);
    if (!(act.alpha > 0) || !Number.isFinite(act.alpha)) {
      throw new Error(`lowbit/im2col: PACT clip α must be a positive finite number, got ${act.alpha}`);
    }
  }
  return {
    n,
    ...g,
    groups,
    cg: g.c / groups,
    kWords: lowbitSegmentWords(g, groups),
    alpha: act?.alpha ?? 1,
    levels: act ? codeMax(act.bits) : 0,
  };
}

/**
 * Params of the im2col kernels used as plain activation quantization of a [rows, features]
 * matrix (a linear layer's input: the 1×1 convolution on [features, 1, 1]): one output row of
 * ceil(features / 4) words (packed) or 4× that many floats (codes) per input row.
 */
export function lowbitQuantizeParams(rows: number, features: number, act: ActQuant): Params {
  const g: Conv2dGeometry = {
    c: features,
    h: 1,
    w: 1,
    kh: 1,
    kw: 1,
    sh: 1,
    sw: 1,
    ph: 0,
    pw: 0,
    dh: 1,
    dw: 1,
    ho: 1,
    wo: 1,
  };
  return lowbitIm2colParams(g, rows, 1, act);
}

/**
 * Tap k of group `grp`'s segment at output position `pos` of sample s, by its definition: the
 * value the WGSL `next_tap` walker yields at its k-th step.
 */
function gather(x: CpuBuffer, p: Params, s: number, pos: number, grp: number, k: number): number {
  const taps = p.kh * p.kw;
  if (k >= p.cg * taps) return 0;
  const ch = grp * p.cg + Math.floor(k / taps);
  const tap = k % taps;
  const iy = Math.floor(pos / p.wo) * p.sh + Math.floor(tap / p.kw) * p.dh - p.ph;
  const ix = (pos % p.wo) * p.sw + (tap % p.kw) * p.dw - p.pw;
  if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) return 0;
  return x[((s * p.c + ch) * p.h + iy) * p.w + ix];
}

/**
 * Calls `visit(i, value)` for the elements of the im2col matrix in storage order: rows (sample,
 * position), then groups, then `segment` taps (zeros past the group's taps).
 */
function forEachTap(x: CpuBuffer, p: Params, segment: number, visit: (i: number, v: number) => void): void {
  const positions = p.ho * p.wo;
  let i = 0;
  for (let s = 0; s < p.n; s++)
    for (let pos = 0; pos < positions; pos++)
      for (let grp = 0; grp < p.groups; grp++)
        for (let k = 0; k < segment; k++, i++) visit(i, gather(x, p, s, pos, grp, k));
}

/**
 * Quantization + im2col, float output: buffers `[x, col]`, params from `lowbitIm2colParams`,
 * defines `{ quant: boolean }` (default true: PACT codes as floats; false: the values). col has
 * n·ho·wo rows of groups·kWords·4 elements. Bit-exact on both backends.
 */
export const lowbitIm2colKernel = defineKernel(shaderSources['lowbit/im2col'], {
  specialize: (defines) => ({ QUANT: defines.quant === false ? 'false' : 'true' }),
  dispatch: (p) => linearDispatch(p.n * p.ho * p.wo * p.groups, 64),
  cpu: ([x, col], p, defines) => {
    const quant = defines.quant !== false;
    forEachTap(x, p, p.kWords * 4, (i, v) => {
      col[i] = quant ? actCode(v, p.alpha, p.levels) : v;
    });
  },
});

/**
 * Quantization + im2col with codes packed four to a word (tap 4t + j in byte j of word t), the
 * operand of `lowbitGemmDot4Kernel`: buffers `[x, col (u32)]`, params from `lowbitIm2colParams`.
 * col has n·ho·wo rows of groups·kWords words. Bit-exact on both backends.
 */
export const lowbitIm2colPackedKernel = defineKernel(shaderSources['lowbit/im2col_packed'], {
  specialize: () => ({ GATHER: GATHER_WGSL }),
  dispatch: (p) => linearDispatch(p.n * p.ho * p.wo * p.groups, 64),
  cpu: ([x, col], p) => {
    col.fill(0, 0, p.n * p.ho * p.wo * p.groups * p.kWords);
    forEachTap(x, p, p.kWords * 4, (i, v) => {
      col[i >>> 2] |= actCode(v, p.alpha, p.levels) << (8 * (i & 3));
    });
  },
});
