import { describe, expect, it } from 'vitest';
import { crossEntropyBackwardKernel, crossEntropyKernel, instantiate } from '../src/index.js';
import { differences, openDawn, runOnDawn, runTwin } from './dawn.js';

const logits = Float32Array.from([
  // biome-ignore format: rows
  0.5, -1, 2, 0.25, 3, 3, 3, 3, -2, 0, 1, 100,
]);

function lse(row: number[]): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
}
const rows = [0, 1, 2].map((n) => [...logits.subarray(n * 4, n * 4 + 4)]);

describe('loss/cross_entropy', () => {
  it('computes log-sum-exp minus the target logit per row', () => {
    const loss = new Float32Array(3);
    crossEntropyKernel.cpu([logits, Int32Array.from([2, 1, 0]), loss], { rows: 3, classes: 4 }, {});
    expect(loss[0]).toBeCloseTo(lse(rows[0]) - 2, 6);
    expect(loss[1]).toBeCloseTo(Math.log(4), 6);
    expect(loss[2]).toBeCloseTo(102, 4);
  });

  it('clamps out-of-range labels into [0, classes) instead of reading out of bounds', () => {
    const loss = new Float32Array(3);
    crossEntropyKernel.cpu([logits, Int32Array.from([-5, 1, 9]), loss], { rows: 3, classes: 4 }, {});
    expect(loss[0]).toBeCloseTo(lse(rows[0]) - 0.5, 6);
    expect(loss[2]).toBeCloseTo(lse(rows[2]) - 100, 6);
  });

  it('backward gives (softmax − onehot)·g per row', () => {
    const gx = new Float32Array(12);
    const g = Float32Array.from([1, 0.5, -2]);
    const labels = Int32Array.from([2, 1, 3]);
    crossEntropyBackwardKernel.cpu([logits, labels, g, gx], { rows: 3, classes: 4 }, {});
    for (let n = 0; n < 3; n++) {
      const l = lse(rows[n]);
      for (let c = 0; c < 4; c++) {
        const want = (Math.exp(rows[n][c] - l) - (c === labels[n] ? 1 : 0)) * g[n];
        expect(gx[n * 4 + c]).toBeCloseTo(want, 6);
      }
    }
    expect([...gx.subarray(4, 8)]).toEqual([0.125, -0.375, 0.125, 0.125]);
  });

  it('handles a single class (loss 0, gradient 0)', () => {
    const loss = new Float32Array(2);
    crossEntropyKernel.cpu(
      [Float32Array.from([7, -3]), Int32Array.from([0, 0]), loss],
      { rows: 2, classes: 1 },
      {},
    );
    expect([...loss]).toEqual([0, 0]);
  });

  it('instantiates with an i32 labels binding', () => {
    expect(instantiate(crossEntropyKernel).code).toMatch(/var<storage, read> labels: array<i32>/);
    expect(instantiate(crossEntropyBackwardKernel).code).toMatch(/var<storage, read_write> gx: array<f32>/);
  });
});

// ---- WGSL vs CPU twin on Dawn (lavapipe in CI) -----------------------------------------------

const dawn = await openDawn();

describe.skipIf(!dawn)('cross-entropy WGSL matches the twins on Dawn', () => {
  it('forward and backward, including clamped out-of-range labels', async () => {
    const rows = 97;
    const classes = 11;
    const x = Float32Array.from({ length: rows * classes }, (_, i) => 8 * Math.sin(i * 1.31));
    const labels = Int32Array.from({ length: rows }, (_, n) => (n % 13) - 1); // -1 and 11 are out of range
    const g = Float32Array.from({ length: rows }, (_, n) => 1 - n / 50);
    const params = { rows, classes };
    const loss = [x, labels, new Float32Array(rows)];
    expect(
      differences(
        (await runOnDawn(dawn!, crossEntropyKernel, loss, params))[2],
        runTwin(crossEntropyKernel, loss, params)[2],
        2e-6,
      ),
    ).toEqual([]);
    const back = [x, labels, g, new Float32Array(rows * classes)];
    expect(
      differences(
        (await runOnDawn(dawn!, crossEntropyBackwardKernel, back, params))[3],
        runTwin(crossEntropyBackwardKernel, back, params)[3],
        2e-6,
      ),
    ).toEqual([]);
  });
});
