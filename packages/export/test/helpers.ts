/** Shared test helpers: seeded random data, running our engine, comparing outputs. */
import type { Module } from '@fracbits/nn';
import { noGrad, Rng, scope, tensor } from '@fracbits/tensor';
import { expect } from 'vitest';

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniformRange(lo, hi));
}

/** Our engine's eval-mode output for `input` of `dims`. */
export function runOurs(
  model: Module,
  input: Float32Array,
  dims: readonly number[],
): { dims: number[]; data: Float32Array } {
  return noGrad(() =>
    scope(() => {
      const y = model.call(tensor(input, dims));
      return { dims: [...y.shape], data: Float32Array.from(y.dataSync()) };
    }),
  );
}

/** Largest |a − b| / (1 + |b|), after checking the lengths. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}
