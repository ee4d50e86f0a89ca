import { describe, expect, it } from 'vitest';
import {
  batchNormApplyKernel,
  batchNormBackwardInputKernel,
  batchNormBackwardReduceKernel,
  batchNormStatsKernel,
  instantiate,
} from '../src/index.js';

const random = (n: number, seed: number) => {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return (s / 0x7fffffff) * 2 - 1;
  });
};

/** Float64 per-channel statistics of x viewed as [n, c, hw]. */
function stats(x: Float32Array, n: number, c: number, hw: number) {
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) for (let q = 0; q < hw; q++) s += x[(b * c + ch) * hw + q];
    mean[ch] = s / (n * hw);
    let v = 0;
    for (let b = 0; b < n; b++) for (let q = 0; q < hw; q++) v += (x[(b * c + ch) * hw + q] - mean[ch]) ** 2;
    variance[ch] = v / (n * hw);
  }
  return { mean, variance };
}

function runStats(x: Float32Array, n: number, c: number, hw: number) {
  const mean = new Float32Array(c);
  const variance = new Float32Array(c);
  batchNormStatsKernel.cpu([x, mean, variance], { n, c, hw }, {});
  return { mean, variance };
}

describe('norm/stats', () => {
  it('computes per-channel mean and biased variance (hand values)', () => {
    // [n=2, c=2, hw=2]: channel 0 holds 1, 2, 5, 6; channel 1 holds 3, 3, 3, 3.
    const x = new Float32Array([1, 2, 3, 3, 5, 6, 3, 3]);
    const { mean, variance } = runStats(x, 2, 2, 2);
    expect([...mean]).toEqual([3.5, 3]);
    expect([...variance]).toEqual([(6.25 + 2.25 + 2.25 + 6.25) / 4, 0]);
  });

  it.each([
    [3, 5, 7],
    [2, 3, 1], // [N, C] batch norm
    [7, 2, 100], // more elements than lanes: exercises the lane cycle and the tree
    [1, 1, 1],
  ])('matches float64 statistics for [%i, %i, %i]', (n, c, hw) => {
    const x = random(n * c * hw, n + c + hw).map((v, i) => 4 * v + (i % 3));
    const { mean, variance } = runStats(x, n, c, hw);
    const ref = stats(x, n, c, hw);
    for (let ch = 0; ch < c; ch++) {
      expect(Math.abs(mean[ch] - ref.mean[ch])).toBeLessThan(1e-6 * (1 + Math.abs(ref.mean[ch])));
      expect(Math.abs(variance[ch] - ref.variance[ch])).toBeLessThan(2e-6 * (1 + ref.variance[ch]));
    }
  });
});

describe('norm/apply and the backward kernels', () => {
  const [n, c, hw, eps] = [3, 4, 5, 1e-5];
  const x = random(n * c * hw, 3).map((v, i) => 2 * v + (i % 4));
  const gamma = new Float32Array([1, -0.5, 2, 0.25]);
  const beta = new Float32Array([0, 1, -1, 0.5]);
  const { mean, variance } = runStats(x, n, c, hw);
  const chOf = (i: number) => Math.floor(i / hw) % c;
  const xhat = (i: number) => (x[i] - mean[chOf(i)]) / Math.sqrt(variance[chOf(i)] + eps);

  it('normalises with gamma and beta', () => {
    const y = new Float32Array(x.length);
    batchNormApplyKernel.cpu([x, mean, variance, gamma, beta, y], { total: x.length, c, hw, eps }, {});
    for (let i = 0; i < x.length; i++) expect(y[i]).toBeCloseTo(xhat(i) * gamma[chOf(i)] + beta[chOf(i)], 5);
  });

  it('hand value: 1 channel, x = [1, 3], mean 2, var 1, eps 0 → y = [−1, 1]·γ + β', () => {
    const y = new Float32Array(2);
    const run = (g: number, b: number) =>
      batchNormApplyKernel.cpu(
        [
          new Float32Array([1, 3]),
          new Float32Array([2]),
          new Float32Array([1]),
          new Float32Array([g]),
          new Float32Array([b]),
          y,
        ],
        { total: 2, c: 1, hw: 2, eps: 0 },
        {},
      );
    run(3, 0.5);
    expect([...y]).toEqual([-2.5, 3.5]);
  });

  const dy = random(n * c * hw, 9);
  const reduce = () => {
    const dgamma = new Float32Array(c);
    const dbeta = new Float32Array(c);
    batchNormBackwardReduceKernel.cpu([x, dy, mean, variance, dgamma, dbeta], { n, c, hw, eps }, {});
    return { dgamma, dbeta };
  };

  it('reduces Σdy and Σdy·x̂ per channel', () => {
    const { dgamma, dbeta } = reduce();
    for (let ch = 0; ch < c; ch++) {
      let sdy = 0;
      let sdyx = 0;
      for (let i = 0; i < x.length; i++) {
        if (chOf(i) !== ch) continue;
        sdy += dy[i];
        sdyx += dy[i] * xhat(i);
      }
      expect(dbeta[ch]).toBeCloseTo(sdy, 5);
      expect(dgamma[ch]).toBeCloseTo(sdyx, 5);
    }
  });

  it.each([0, 1])('computes dx (train = %i) by the batch-norm gradient formula', (train) => {
    const { dgamma, dbeta } = reduce();
    const dx = new Float32Array(x.length);
    batchNormBackwardInputKernel.cpu(
      [x, dy, mean, variance, gamma, dgamma, dbeta, dx],
      { total: x.length, c, hw, eps, train },
      {},
    );
    const m = n * hw;
    for (let i = 0; i < x.length; i++) {
      const ch = chOf(i);
      const k = gamma[ch] / Math.sqrt(variance[ch] + eps);
      const expected = train ? k * (dy[i] - (dbeta[ch] + xhat(i) * dgamma[ch]) / m) : k * dy[i];
      expect(dx[i]).toBeCloseTo(expected, 4);
    }
  });

  it('instantiates as WGSL within WebGPU limits (≤ 8 storage buffers)', () => {
    for (const k of [
      batchNormStatsKernel,
      batchNormApplyKernel,
      batchNormBackwardReduceKernel,
      batchNormBackwardInputKernel,
    ]) {
      expect(instantiate(k).code).toContain('@compute');
      expect(k.shader.bindings.length).toBeLessThanOrEqual(8);
    }
    expect(() => batchNormStatsKernel.dispatch({ n: 1, c: 70_000, hw: 1 }, {})).toThrow(
      /norm\/stats: 70000 channels/,
    );
  });
});
