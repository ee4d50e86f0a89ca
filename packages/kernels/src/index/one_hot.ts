import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';

/**
 * out[r, c] = 1 where labels[r] == c, else 0 (float32 [rows, classes] from int32 labels [rows]);
 * params `{ n: rows·classes, classes }`. An out-of-range label gives an all-zero row.
 */
export const oneHotKernel = defineKernel(shaderSources['index/one_hot'], {
  dispatch: (p) => linearDispatch(p.n, 256),
  cpu: ([labels, out], { n, classes }) => {
    out.fill(0, 0, n);
    if (classes === 0) return;
    const rows = n / classes;
    for (let r = 0; r < rows; r++) {
      const t = labels[r];
      if (t >= 0 && t < classes) out[r * classes + t] = 1;
    }
  },
});
