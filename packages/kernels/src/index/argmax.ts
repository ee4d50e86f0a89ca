import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';

/**
 * out[o, k] = argmax_j x[o, j, k] (int32) over x viewed as [outer, len, inner]; params
 * `{ outer, len, inner }`, len ≥ 1. Ties go to the first index; the first NaN counts as maximal.
 */
export const argmaxKernel = defineKernel(shaderSources['index/argmax'], {
  dispatch: (p) => linearDispatch(p.outer * p.inner, 256),
  cpu: ([x, out], { outer, len, inner }) => {
    if (len === 0) return;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const base = o * len * inner + k;
        let best = x[base];
        let arg = 0;
        for (let j = 1; j < len; j++) {
          const v = x[base + j * inner];
          if (v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
            best = v;
            arg = j;
          }
        }
        out[o * inner + k] = arg;
      }
    }
  },
});
