import { defineKernel } from '../descriptor.js';
import { shaderSources } from '../generated/shaders.js';
import { NORM_LANES, treeSum } from './lanes.js';

/** One workgroup per channel; channels beyond the per-dimension limit are refused. */
export function perChannelDispatch(c: number, kernel: string): [number, number, number] {
  if (c > 65535) throw new Error(`${kernel}: ${c} channels exceed 65535 workgroups`);
  return [Math.max(1, c), 1, 1];
}

/**
 * Per-channel mean and biased variance of x viewed as [n, c, hw]: buffers `[x, mean, variance]`,
 * params `{ n, c, hw }`. Two passes (mean, then mean squared deviation); the CPU twin replays
 * the kernel's lane-and-tree summation order in float32.
 */
export const batchNormStatsKernel = defineKernel(shaderSources['norm/stats'], {
  dispatch: (p) => perChannelDispatch(p.c, 'norm/stats'),
  cpu: ([x, mean, variance], p) => {
    const { n, c, hw } = p;
    const count = n * hw;
    const partial = new Float32Array(NORM_LANES);
    const mask = NORM_LANES - 1;
    for (let ch = 0; ch < c; ch++) {
      partial.fill(0);
      let lane = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * hw;
        for (let q = 0; q < hw; q++, lane = (lane + 1) & mask) partial[lane] += x[base + q];
      }
      const mu = Math.fround(treeSum(partial) / count);
      partial.fill(0);
      lane = 0;
      for (let b = 0; b < n; b++) {
        const base = (b * c + ch) * hw;
        for (let q = 0; q < hw; q++, lane = (lane + 1) & mask) {
          const d = Math.fround(x[base + q] - mu);
          partial[lane] += Math.fround(d * d);
        }
      }
      mean[ch] = mu;
      variance[ch] = treeSum(partial) / count;
    }
  },
});
