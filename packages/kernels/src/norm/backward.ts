import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { invStd, NORM_LANES, treeSum } from './lanes.js';
import { perChannelDispatch } from './stats.js';

/**
 * Per-channel sums of the batch-norm backward pass over x, dy viewed as [n, c, hw]:
 * dbeta = Σ dy, dgamma = Σ dy·x̂. Buffers `[x, dy, mean, variance, dgamma, dbeta]`, params
 * `{ n, c, hw, eps }`; the CPU twin replays the kernel's summation order.
 */
export const batchNormBackwardReduceKernel = defineKernel(shaderSources['norm/backward-reduce'], {
  dispatch: (p) => perChannelDispatch(p.c, 'norm/backward-reduce'),
  cpu: ([x, dy, mean, variance, dgamma, dbeta], p) => {
    const { n, c, hw, eps } = p;
    const sumDy = new Float32Array(NORM_LANES);
    const sumDyX = new Float32Array(NORM_LANES);
    const mask = NORM_LANES - 1;
    for (let ch = 0; ch < c; ch++) {
      const mu = mean[ch];
      const k = invStd(variance[ch], eps);
      sumDy.fill(0);
      sumDyX.fill(0);
      let lane = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * hw;
        for (let i = base; i < base + hw; i++, lane = (lane + 1) & mask) {
          const g = dy[i];
          sumDy[lane] += g;
          sumDyX[lane] += Math.fround(g * Math.fround(Math.fround(x[i] - mu) * k));
        }
      }
      dbeta[ch] = treeSum(sumDy);
      dgamma[ch] = treeSum(sumDyX);
    }
  },
});

/**
 * Batch-norm gradient to x: buffers `[x, dy, mean, variance, gamma, dgamma, dbeta, dx]`, params
 * `{ total, c, hw, eps, train }`. With train = 1 (batch statistics)
 * dx = invStd·gamma·(dy − (dbeta + x̂·dgamma)/count); with train = 0 (fixed statistics)
 * dx = invStd·gamma·dy.
 */
export const batchNormBackwardInputKernel = defineKernel(shaderSources['norm/backward-input'], {
  dispatch: (p) => linearDispatch(p.total, 256),
  cpu: ([x, dy, mean, variance, gamma, dgamma, dbeta, dx], p) => {
    const { total, c, hw, eps, train } = p;
    const count = total / c;
    for (let start = 0, ch = 0; start < total; start += hw, ch = (ch + 1) % c) {
      const s = invStd(variance[ch], eps);
      const k = Math.fround(s * gamma[ch]);
      if (!train) {
        for (let i = start; i < start + hw; i++) dx[i] = k * dy[i];
        continue;
      }
      const mu = mean[ch];
      const dg = dgamma[ch];
      const db = dbeta[ch];
      for (let i = start; i < start + hw; i++) {
        const xhat = Math.fround(Math.fround(x[i] - mu) * s);
        const shift = Math.fround(Math.fround(db + Math.fround(xhat * dg)) / count);
        dx[i] = k * Math.fround(dy[i] - shift);
      }
    }
  },
});
