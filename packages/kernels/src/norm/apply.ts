import { defineKernel, linearDispatch } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { invStd } from './lanes.js';

/**
 * y = (x − mean[ch])·invStd·gamma[ch] + beta[ch] over x viewed as [n, c, hw]: buffers
 * `[x, mean, variance, gamma, beta, y]`, params `{ total, c, hw, eps }`.
 */
export const batchNormApplyKernel = defineKernel(shaderSources['norm/apply'], {
  dispatch: (p) => linearDispatch(p.total, 256),
  cpu: ([x, mean, variance, gamma, beta, y], p) => {
    const { total, c, hw, eps } = p;
    for (let start = 0, ch = 0; start < total; start += hw, ch = (ch + 1) % c) {
      const k = invStd(variance[ch], eps);
      const mu = mean[ch];
      const g = gamma[ch];
      const b = beta[ch];
      for (let i = start; i < start + hw; i++) {
        const xhat = Math.fround(Math.fround(x[i] - mu) * k);
        y[i] = Math.fround(xhat * g) + b;
      }
    }
  },
});
