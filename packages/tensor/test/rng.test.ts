import { describe, expect, it } from 'vitest';
import { deterministicLog, Rng, uniformStream } from '../src/index.js';

// Golden words from an independent Python transcription of splitmix32 seeding + xoshiro128**.
describe('Rng', () => {
  it('reproduces the reference xoshiro128** stream for fixed seeds', () => {
    const words = (seed: number) => {
      const rng = new Rng(seed);
      return [0, 1, 2, 3].map(() => rng.nextUint32());
    };
    expect(words(0)).toEqual([3809008728, 1133695204, 53579671, 2891528803]);
    expect(words(42)).toEqual([2837322924, 544945897, 479756282, 3500138142]);
  });

  it('draws uniforms with 24 bits, exact in float32', () => {
    const rng = new Rng(7);
    const draws = [rng.uniform(), rng.uniform(), rng.uniform()];
    expect(draws).toEqual([0.23382771015167236, 0.5122323632240295, 0.4489145278930664]);
    for (const d of draws) expect(Math.fround(d)).toBe(d);
  });

  it('keeps int() inside [0, n) and rejects a bad n', () => {
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(rng.int(5));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(() => rng.int(0)).toThrow(/positive integer/);
    expect(() => rng.int(2.5)).toThrow(/positive integer/);
  });

  it('rejects a non-finite seed', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
  });

  it('restores a saved state, including the spare normal', () => {
    const rng = new Rng(11);
    rng.normal(); // leaves a spare
    const state = rng.getState();
    const ahead = [rng.normal(), rng.normal(), rng.uniform()];
    rng.setState(state);
    expect([rng.normal(), rng.normal(), rng.uniform()]).toEqual(ahead);
  });

  it('shuffles into a permutation', () => {
    const p = new Rng(5).permutation(50);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('draws normals with mean 0 and variance 1', () => {
    const rng = new Rng(1);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal();
      sum += x;
      sq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.04);
  });
});

describe('deterministicLog', () => {
  it('agrees with Math.log to the last few ulps', () => {
    for (const x of [1e-30, 0.001, 0.3, 0.5, 1, 1.5, 2, 10, 12345.678, 1e30]) {
      expect(deterministicLog(x)).toBeCloseTo(Math.log(x), 13);
    }
  });

  it('maps 0 to −∞ and invalid input to NaN', () => {
    expect(deterministicLog(0)).toBe(-Infinity);
    expect(deterministicLog(-1)).toBeNaN();
    expect(deterministicLog(Number.POSITIVE_INFINITY)).toBeNaN();
  });
});

describe('uniformStream', () => {
  it('is the Rng uniform stream of the same seed as a plain function', () => {
    const random = uniformStream(9);
    const rng = new Rng(9);
    for (let i = 0; i < 10; i++) expect(random()).toBe(rng.uniform());
  });
});
