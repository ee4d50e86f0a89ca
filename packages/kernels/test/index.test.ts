import { describe, expect, it } from 'vitest';
import { argmaxKernel, instantiate, oneHotKernel } from '../src/index.js';
import { differences, openDawn, runOnDawn, runTwin } from './dawn.js';

function argmax(x: number[], outer: number, len: number, inner: number): number[] {
  const out = new Int32Array(outer * inner);
  argmaxKernel.cpu([Float32Array.from(x), out], { outer, len, inner }, {});
  return [...out];
}

describe('index/argmax', () => {
  it('finds the maximum along the last axis; ties go to the first index', () => {
    expect(argmax([1, 3, 3, 2, -1, -1, -1, -1], 2, 4, 1)).toEqual([1, 0]);
  });

  it('works along a middle axis ([2, 3, 2] over axis 1)', () => {
    // biome-ignore format: [o][j][k]
    const x = [
      0, 9,   5, 1,   5, 2,
      -1, 0,  -3, 0,  -2, 4,
    ];
    expect(argmax(x, 2, 3, 2)).toEqual([1, 0, 0, 2]);
  });

  it('returns 0 for length-1 axes, and the first NaN as maximal', () => {
    expect(argmax([4, 5, 6], 3, 1, 1)).toEqual([0, 0, 0]);
    expect(argmax([1, Number.NaN, 7, Number.NaN], 1, 4, 1)).toEqual([1]);
    expect(argmax([-Infinity, -Infinity, -3], 1, 3, 1)).toEqual([2]);
  });

  it('instantiates with an i32 output binding', () => {
    expect(instantiate(argmaxKernel).code).toMatch(/var<storage, read_write> out: array<i32>/);
  });
});

describe('index/one_hot', () => {
  it('sets one 1 per row and leaves out-of-range labels as zero rows', () => {
    const out = new Float32Array(4 * 3).fill(7);
    oneHotKernel.cpu([Int32Array.from([2, 0, -1, 3]), out], { n: 12, classes: 3 }, {});
    // biome-ignore format: rows
    expect([...out]).toEqual([
      0, 0, 1,
      1, 0, 0,
      0, 0, 0,
      0, 0, 0,
    ]);
  });
});

// ---- WGSL vs CPU twin on Dawn (lavapipe in CI) -----------------------------------------------

const dawn = await openDawn();

describe.skipIf(!dawn)('index WGSL matches the twins bit for bit on Dawn', () => {
  it('argmax with ties, NaNs and a middle axis', async () => {
    const [outer, len, inner] = [3, 70, 5];
    const x = Float32Array.from({ length: outer * len * inner }, (_, i) =>
      Math.round(4 * Math.sin(i * 0.37)),
    );
    x[7] = Number.NaN;
    x[300] = Number.NaN;
    x[305] = Number.NaN;
    const buffers = [x, new Int32Array(outer * inner)];
    const params = { outer, len, inner };
    const [, gpu] = await runOnDawn(dawn!, argmaxKernel, buffers, params);
    expect(differences(gpu, runTwin(argmaxKernel, buffers, params)[1])).toEqual([]);
  });

  it('oneHot with out-of-range labels', async () => {
    const labels = Int32Array.from({ length: 41 }, (_, n) => (n % 9) - 2);
    const buffers = [labels, new Float32Array(41 * 6).fill(5)];
    const params = { n: 41 * 6, classes: 6 };
    const [, gpu] = await runOnDawn(dawn!, oneHotKernel, buffers, params);
    expect(differences(gpu, runTwin(oneHotKernel, buffers, params)[1])).toEqual([]);
  });
});
