import { describe, expect, it } from 'vitest';
import { instantiate, softmaxKernel } from '../src/index.js';
import { differences, openDawn, runOnDawn, runTwin } from './dawn.js';

/** Double-precision reference along the middle axis of [outer, len, inner]. */
function reference(x: ArrayLike<number>, outer: number, len: number, inner: number, log: boolean): number[] {
  const out = new Array<number>(outer * len * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const at = (j: number) => o * len * inner + j * inner + k;
      let m = -Infinity;
      for (let j = 0; j < len; j++) m = Math.max(m, x[at(j)]);
      let s = 0;
      for (let j = 0; j < len; j++) s += Math.exp(x[at(j)] - m);
      for (let j = 0; j < len; j++)
        out[at(j)] = log ? x[at(j)] - m - Math.log(s) : Math.exp(x[at(j)] - m) / s;
    }
  }
  return out;
}

function run(x: Float32Array, outer: number, len: number, inner: number, op: 'softmax' | 'logSoftmax') {
  const y = new Float32Array(x.length);
  softmaxKernel.cpu([x, y], { outer, len, inner }, { op });
  return y;
}

describe('softmax/softmax', () => {
  it.each([
    [1, 3, 1],
    [2, 5, 3],
    [3, 1, 7],
    [1, 13, 2],
  ])('matches a double-precision reference on [%i, %i, %i]', (outer, len, inner) => {
    const x = Float32Array.from({ length: outer * len * inner }, (_, i) => 3 * Math.sin(i * 1.7));
    for (const op of ['softmax', 'logSoftmax'] as const) {
      const got = run(x, outer, len, inner, op);
      const want = reference(x, outer, len, inner, op === 'logSoftmax');
      got.forEach((v, i) => {
        expect(v).toBeCloseTo(want[i], 6);
      });
    }
  });

  it('gives exact values where the math is exact', () => {
    expect([...run(Float32Array.from([5, 5, 5, 5]), 1, 4, 1, 'softmax')]).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect([...run(Float32Array.from([-3, 7]), 2, 1, 1, 'softmax')]).toEqual([1, 1]);
    expect([...run(Float32Array.from([-3, 7]), 2, 1, 1, 'logSoftmax')]).toEqual([0, 0]);
  });

  it('is stable for large logits (max-subtracted)', () => {
    const y = run(Float32Array.from([1000, 1001, -1000]), 1, 3, 1, 'softmax');
    expect(y[0]).toBeCloseTo(1 / (1 + Math.E), 6);
    expect(y[1]).toBeCloseTo(Math.E / (1 + Math.E), 6);
    expect(y[2]).toBe(0);
    const l = run(Float32Array.from([1000, 1001, -1000]), 1, 3, 1, 'logSoftmax');
    expect(l[2]).toBeCloseTo(-2001 - Math.log(1 + Math.exp(-1)), 3);
  });

  it('propagates a NaN to its whole row only', () => {
    const y = run(Float32Array.from([1, Number.NaN, 2, 0, 0]), 1, 5, 1, 'softmax');
    expect([...y].every(Number.isNaN)).toBe(true);
    const z = run(Float32Array.from([1, 0, Number.NaN, 0]), 2, 2, 1, 'softmax');
    expect(z[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(Number.isNaN(z[2])).toBe(true);
  });

  it('instantiates both variants and rejects unknown ones', () => {
    expect(instantiate(softmaxKernel, { op: 'softmax' }).code).toContain('exp(d) / s');
    expect(instantiate(softmaxKernel, { op: 'logSoftmax' }).code).toContain('d - ls');
    expect(() => instantiate(softmaxKernel, { op: 'soft' })).toThrow(/softmax\/softmax: unknown op "soft"/);
  });
});

// ---- WGSL vs CPU twin on Dawn (lavapipe in CI) -----------------------------------------------

const dawn = await openDawn();

describe.skipIf(!dawn)('softmax WGSL matches the twin on Dawn', () => {
  it.each([
    [3, 70, 5],
    [1, 1, 9],
    [300, 10, 1],
  ])('[%i, %i, %i], both variants (GPU exp/log may differ in the last bits)', async (outer, len, inner) => {
    const x = Float32Array.from({ length: outer * len * inner }, (_, i) => 20 * Math.sin(i * 0.91));
    x[len * inner] = Number.NaN; // one NaN row when outer > 1
    for (const op of ['softmax', 'logSoftmax'] as const) {
      const params = { outer, len, inner };
      const [, gpu] = await runOnDawn(dawn!, softmaxKernel, [x, new Float32Array(x.length)], params, { op });
      const [, twin] = runTwin(softmaxKernel, [x, new Float32Array(x.length)], params, { op });
      expect(differences(gpu, twin, 2e-6)).toEqual([]);
    }
  });
});
