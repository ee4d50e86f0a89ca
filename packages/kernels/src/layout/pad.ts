import { defineKernel, linearDispatch, type Params } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { LAYOUT_MAX_RANK, words } from './words.js';

export interface PadLayout {
  /** Shape of the (contiguous) output. */
  readonly outShape: readonly number[];
  /** Shape of the (contiguous) input. */
  readonly xShape: readonly number[];
  /** Output coordinate of input coordinate 0, per axis. */
  readonly before: readonly number[];
  /** Output distance between consecutive input coordinates, per axis (≥ 1). */
  readonly steps: readonly number[];
  /** The 32-bit word written everywhere else (see `wordOf`). */
  readonly fill: number;
}

/**
 * Params for `layout/pad`. Checks that every input element lands inside the output. Leading axes
 * are merged into an untouched following block (same size in and out, no offset, step 1) when
 * they have step 1, so shapes of any rank work while at most 6 axes remain.
 */
export function padParams(layout: PadLayout): Params {
  const { outShape, xShape, before, steps } = layout;
  const rank = outShape.length;
  if (xShape.length !== rank || before.length !== rank || steps.length !== rank) {
    throw new Error(
      `layout/pad: out [${outShape.join(', ')}], x [${xShape.join(', ')}], before and steps must have the same rank`,
    );
  }
  for (let k = 0; k < rank; k++) {
    const st = steps[k];
    if (!Number.isInteger(st) || st < 1)
      throw new Error(`layout/pad: step ${st} on axis ${k} must be an integer ≥ 1`);
    if (!Number.isInteger(before[k]) || before[k] < 0)
      throw new Error(`layout/pad: offset ${before[k]} on axis ${k} must be an integer ≥ 0`);
    if (xShape[k] > 0 && before[k] + (xShape[k] - 1) * st >= outShape[k]) {
      throw new Error(
        `layout/pad: axis ${k}: ${xShape[k]} elements from ${before[k]} with step ${st} do not fit in ${outShape[k]}`,
      );
    }
  }
  // Merge from the innermost axis outwards; `tail` is the merged block behind axis k.
  const d: number[] = [];
  const xd: number[] = [];
  const b: number[] = [];
  const st: number[] = [];
  for (let k = rank - 1; k >= 0; k--) {
    const untouchedTail = d.length > 0 && d[0] === xd[0] && b[0] === 0 && st[0] === 1;
    if (untouchedTail && steps[k] === 1) {
      d[0] *= outShape[k];
      b[0] = before[k] * xd[0];
      xd[0] *= xShape[k];
    } else {
      d.unshift(outShape[k]);
      xd.unshift(xShape[k]);
      b.unshift(before[k]);
      st.unshift(steps[k]);
    }
  }
  if (d.length > LAYOUT_MAX_RANK) {
    throw new Error(
      `layout/pad: ${d.length} axes remain after merging untouched ones; at most ${LAYOUT_MAX_RANK} are supported`,
    );
  }
  const pad = LAYOUT_MAX_RANK - d.length;
  const p: Record<string, number> = { n: outShape.reduce((x, y) => x * y, 1), fill: layout.fill >>> 0 };
  for (let i = 0; i < LAYOUT_MAX_RANK; i++) {
    const j = i - pad;
    p[`d${i}`] = j < 0 ? 1 : d[j];
    p[`xd${i}`] = j < 0 ? 1 : xd[j];
    p[`b${i}`] = j < 0 ? 0 : b[j];
    p[`st${i}`] = j < 0 ? 1 : st[j];
  }
  return p;
}

/**
 * out[j] = x[t] where on every axis t_k = (j_k − b_k)/st_k is a whole input coordinate, else the
 * `fill` word; 32-bit words (any 32-bit dtype), params from `padParams`.
 */
export const padKernel = defineKernel(shaderSources['layout/pad'], {
  dispatch: (p) => linearDispatch(p.n, 256),
  cpu: ([xb, ob], p) => {
    if (p.n === 0) return;
    const x = words(xb);
    const out = words(ob);
    const d = [p.d0, p.d1, p.d2, p.d3, p.d4, p.d5];
    const xd = [p.xd0, p.xd1, p.xd2, p.xd3, p.xd4, p.xd5];
    const b = [p.b0, p.b1, p.b2, p.b3, p.b4, p.b5];
    const st = [p.st0, p.st1, p.st2, p.st3, p.st4, p.st5];
    const fill = p.fill >>> 0;
    const len = d[5];
    const inner = [1, 1, 1, 1, 1, 1];
    const xInner = [1, 1, 1, 1, 1, 1];
    for (let k = 4; k >= 0; k--) {
      inner[k] = inner[k + 1] * d[k + 1];
      xInner[k] = xInner[k + 1] * xd[k + 1];
    }
    // Walks output rows; `src` is the input offset of the row's source row, or -1 in the padding.
    const walk = (k: number, dst: number, src: number): void => {
      if (k === 5) {
        out.fill(fill, dst, dst + len);
        if (src < 0) return;
        for (let t = 0; t < xd[5]; t++) out[dst + b[5] + t * st[5]] = x[src + t];
        return;
      }
      for (let j = 0; j < d[k]; j++) {
        const t = j - b[k];
        const inside = src >= 0 && t >= 0 && t % st[k] === 0 && t / st[k] < xd[k];
        walk(k + 1, dst + j * inner[k], inside ? src + (t / st[k]) * xInner[k] : -1);
      }
    };
    walk(0, 0, 0);
  },
});
