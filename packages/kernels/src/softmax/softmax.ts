import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { rowMax, rowSumExp } from './rows.js';

const f32 = Math.fround;

/** What `softmax/softmax` writes for d = x − max, s = Σ exp(d), ls = log(s). */
export const SOFTMAX_FUNCTIONS = {
  softmax: { wgsl: 'exp(d) / s', cpu: (d: number, s: number, _ls: number) => f32(Math.exp(d)) / s },
  logSoftmax: { wgsl: 'd - ls', cpu: (d: number, _s: number, ls: number) => d - ls },
} as const;

export type SoftmaxFunction = keyof typeof SOFTMAX_FUNCTIONS;

function fn(defines: Readonly<Record<string, unknown>>) {
  const f = SOFTMAX_FUNCTIONS[String(defines.op) as SoftmaxFunction];
  if (!f)
    throw new Error(`softmax/softmax: unknown op "${String(defines.op)}"; expected softmax or logSoftmax`);
  return f;
}

/**
 * Softmax or log-softmax along the middle axis of x viewed as [outer, len, inner], max-subtracted;
 * defines `{ op: 'softmax' | 'logSoftmax' }`, params `{ outer, len, inner }`.
 */
export const softmaxKernel = defineKernel(shaderSources['softmax/softmax'], {
  specialize: (defines) => ({ OUT: fn(defines).wgsl }),
  dispatch: (p) => linearDispatch(p.outer * p.inner, 64),
  cpu: ([x, y], p, defines) => {
    const out = fn(defines).cpu;
    const { outer, len, inner } = p;
    if (len === 0) return;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const base = o * len * inner + k;
        const m = rowMax(x, base, len, inner);
        const s = rowSumExp(x, base, len, inner, m);
        const ls = f32(Math.log(s));
        for (let j = 0; j < len; j++) {
          const i = base + j * inner;
          y[i] = out(f32(x[i] - m), s, ls);
        }
      }
    }
  },
});
