import { defineKernel, linearDispatch, type Params } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { LAYOUT_MAX_RANK, words } from './words.js';

/** One strided view: an element offset plus one stride per dimension of the copied shape. */
export interface StridedView {
  readonly offset: number;
  readonly strides: readonly number[];
}

/**
 * Params for `layout/copy`: copies `shape` elements from view `x` to view `out`. Dimensions of size
 * 1 are dropped and neighbours that are contiguous in both views are merged, so any rank works as
 * long as at most 6 dimensions remain (e.g. a rank-8 permute that moves two blocks).
 */
export function stridedCopyParams(shape: readonly number[], x: StridedView, out: StridedView): Params {
  if (x.strides.length !== shape.length || out.strides.length !== shape.length) {
    throw new Error(
      `layout/copy: shape [${shape.join(', ')}] needs one stride per dimension, got x [${x.strides.join(', ')}] and out [${out.strides.join(', ')}]`,
    );
  }
  const d: number[] = [];
  const sx: number[] = [];
  const so: number[] = [];
  shape.forEach((n, k) => {
    if (n === 1) return;
    const last = d.length - 1;
    if (last >= 0 && sx[last] === x.strides[k] * n && so[last] === out.strides[k] * n) {
      // Dimension k continues the previous one in both views: merge them.
      d[last] *= n;
      sx[last] = x.strides[k];
      so[last] = out.strides[k];
    } else {
      d.push(n);
      sx.push(x.strides[k]);
      so.push(out.strides[k]);
    }
  });
  if (d.length > LAYOUT_MAX_RANK) {
    throw new Error(
      `layout/copy: ${d.length} dimensions remain after merging contiguous ones; at most ${LAYOUT_MAX_RANK} are supported`,
    );
  }
  const pad = LAYOUT_MAX_RANK - d.length;
  const p: Record<string, number> = { n: shape.reduce((a, b) => a * b, 1), xo: x.offset, oo: out.offset };
  for (let i = 0; i < LAYOUT_MAX_RANK; i++) {
    const j = i - pad;
    p[`d${i}`] = j < 0 ? 1 : d[j];
    p[`sx${i}`] = j < 0 ? 0 : sx[j];
    p[`so${i}`] = j < 0 ? 0 : so[j];
  }
  return p;
}

/** Rows shorter than this are copied element by element; longer contiguous rows with `set`. */
const SET_THRESHOLD = 16;

/**
 * out[oo + Σ i_k·so_k] = x[xo + Σ i_k·sx_k] over a rank-6 index space of 32-bit words (any 32-bit
 * dtype); params from `stridedCopyParams`.
 */
export const stridedCopyKernel = defineKernel(shaderSources['layout/copy'], {
  dispatch: (p) => linearDispatch(p.n, 256),
  cpu: ([xb, ob], p) => {
    if (p.n === 0) return;
    const x = words(xb);
    const out = words(ob);
    const d = [p.d0, p.d1, p.d2, p.d3, p.d4, p.d5];
    const sx = [p.sx0, p.sx1, p.sx2, p.sx3, p.sx4, p.sx5];
    const so = [p.so0, p.so1, p.so2, p.so3, p.so4, p.so5];
    const len = d[5];
    const stepX = sx[5];
    const stepO = so[5];
    const contiguous = stepX === 1 && stepO === 1 && len >= SET_THRESHOLD;
    // Walks the five outer dimensions; each call at depth 5 copies one innermost row.
    const walk = (k: number, xi: number, oi: number): void => {
      if (k === 5) {
        if (contiguous) out.set(x.subarray(xi, xi + len), oi);
        else for (let j = 0; j < len; j++) out[oi + j * stepO] = x[xi + j * stepX];
        return;
      }
      for (let i = 0; i < d[k]; i++) walk(k + 1, xi + i * sx[k], oi + i * so[k]);
    };
    walk(0, p.xo, p.oo);
  },
});
