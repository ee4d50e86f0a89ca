import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';

/** Reductions `reduce/axis` supports; `scale` multiplies the result of `sum` (1/len for mean). */
export const AXIS_REDUCTIONS = {
  sum: {
    wgsl: { INIT: '0.0', COMBINE: 'acc + v', FINISH: 'acc * params.scale' },
    init: 0,
    combine: (acc: number, v: number) => Math.fround(acc + v),
  },
  max: {
    wgsl: { INIT: '-3.4028234663852886e+38', COMBINE: 'select(acc, v, v > acc || is_nan(v))', FINISH: 'acc' },
    init: -3.4028234663852886e38,
    combine: (acc: number, v: number) => (v > acc || Number.isNaN(v) ? v : acc),
  },
  min: {
    wgsl: { INIT: '3.4028234663852886e+38', COMBINE: 'select(acc, v, v < acc || is_nan(v))', FINISH: 'acc' },
    init: 3.4028234663852886e38,
    combine: (acc: number, v: number) => (v < acc || Number.isNaN(v) ? v : acc),
  },
} as const;

export type AxisReduction = keyof typeof AXIS_REDUCTIONS;

function reduction(defines: Readonly<Record<string, unknown>>) {
  const r = AXIS_REDUCTIONS[String(defines.op) as AxisReduction];
  if (!r) throw new Error(`reduce/axis: unknown reduction "${String(defines.op)}"`);
  return r;
}

/**
 * out[o, k] = reduce_j x[o, j, k] over a tensor viewed as [outer, len, inner]; defines
 * `{ op: 'sum' | 'max' | 'min' }`, params `{ outer, len, inner, scale }` (scale applies to sum).
 * Accumulates sequentially in float32 in index order, on both backends.
 */
export const axisReduceKernel = defineKernel(shaderSources['reduce/axis'], {
  specialize: (defines) => ({ ...reduction(defines).wgsl }),
  dispatch: (p) => linearDispatch(p.outer * p.inner, 256),
  cpu: ([x, out], p, defines) => {
    const r = reduction(defines);
    const { outer, len, inner } = p;
    const scale = Math.fround(p.scale);
    const isSum = String(defines.op) === 'sum';
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const base = o * len * inner + k;
        let acc: number = r.init;
        for (let j = 0; j < len; j++) acc = r.combine(acc, x[base + j * inner]);
        out[o * inner + k] = isSum ? Math.fround(acc * scale) : acc;
      }
    }
  },
});
