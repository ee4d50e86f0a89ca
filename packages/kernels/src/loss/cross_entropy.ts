import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { clampLabel, rowMax, rowSumExp } from '../softmax/rows.js';

const f32 = Math.fround;

/**
 * loss[n] = log Σ_c exp(x[n, c] − m) − (x[n, t] − m) for logits [rows, classes] and int32 labels
 * [rows]; params `{ rows, classes }`. Out-of-range labels are clamped into [0, classes) (the
 * kernel never reads out of bounds); callers validate labels where they can.
 */
export const crossEntropyKernel = defineKernel(shaderSources['loss/cross_entropy'], {
  dispatch: (p) => linearDispatch(p.rows, 64),
  cpu: ([x, labels, loss], { rows, classes }) => {
    if (classes === 0) return;
    for (let n = 0; n < rows; n++) {
      const base = n * classes;
      const m = rowMax(x, base, classes, 1);
      const s = rowSumExp(x, base, classes, 1, m);
      const t = clampLabel(labels[n], classes);
      loss[n] = f32(Math.log(s)) - f32(x[base + t] - m);
    }
  },
});

/**
 * gx[n, c] = (softmax(x[n])[c] − [c == t]) · g[n]: the logits' gradient of `crossEntropyKernel`
 * given the per-row loss gradient g [rows]; params `{ rows, classes }`, labels clamped likewise.
 */
export const crossEntropyBackwardKernel = defineKernel(shaderSources['loss/cross_entropy_backward'], {
  dispatch: (p) => linearDispatch(p.rows, 64),
  cpu: ([x, labels, g, gx], { rows, classes }) => {
    if (classes === 0) return;
    for (let n = 0; n < rows; n++) {
      const base = n * classes;
      const m = rowMax(x, base, classes, 1);
      const s = rowSumExp(x, base, classes, 1, m);
      const t = clampLabel(labels[n], classes);
      const gn = g[n];
      for (let c = 0; c < classes; c++) {
        const p = f32(f32(Math.exp(f32(x[base + c] - m))) / s);
        gx[base + c] = f32(p - (c === t ? 1 : 0)) * gn;
      }
    }
  },
});
