/**
 * A long training-like loop must not grow GPU memory: every step allocates the same tensors under
 * `scope`, which returns them to the pool, so after the first steps the pool serves everything.
 */
import * as T from '@fracbits/tensor';
import { expect, it } from 'vitest';
import { describeGpu, gpu } from './gpu.js';

type Linear = (x: T.Tensor, w: T.Tensor) => T.Tensor;

/** x [B, I] · w [I, O]: the matmul op once it exists, else a broadcast product and a sum. */
const linear: Linear =
  ((T as Record<string, unknown>).matmul as Linear | undefined) ??
  ((x, w) => T.sum(T.mul(T.unsqueeze(x, 2), w), 1));

describeGpu('memory', () => {
  it('1000 training steps under scope keep pooled + live bytes bounded', async () => {
    const backend = gpu!;
    const previous = T.getBackend();
    T.setBackend(backend);
    try {
      const rng = new T.Rng(11);
      const [batch, inputs, hidden, classes] = [12, 9, 16, 5];
      const param = (shape: number[], values: Float32Array) =>
        T.tensor(values, shape, { requiresGrad: true });
      const params = [
        param([inputs, hidden], T.kaimingNormal(rng, [hidden, inputs])),
        param([hidden], new Float32Array(hidden)),
        param([hidden, classes], T.kaimingNormal(rng, [classes, hidden])),
        param([classes], new Float32Array(classes)),
      ];
      const [w1, b1, w2, b2] = params;
      const x = T.tensor(
        T.fill(batch * inputs, () => rng.normal()),
        [batch, inputs],
      );
      const labels = T.tensor(
        Int32Array.from({ length: batch }, (_, i) => i % classes),
        [batch],
      );

      const totals: number[] = [];
      const created: number[] = [];
      const losses: number[] = [];
      for (let step = 0; step < 1000; step++) {
        const loss = T.scope(() => {
          const h = T.relu(T.add(linear(x, w1), b1));
          const l = T.crossEntropy(T.add(linear(h, w2), b2), labels);
          T.backward(l);
          T.noGrad(() => {
            for (const p of params) p.assign(T.sub(p, T.mulScalar(p.grad!, 0.05)));
          });
          T.zeroGrad(params);
          return l;
        });
        if (step % 100 === 0 || step === 999) losses.push(await loss.item());
        loss.dispose();
        const m = backend.memory();
        totals.push(m.liveBytes + m.pooledBytes);
        created.push(backend.stats().pool.created);
      }
      const warm = totals[49];
      expect(Math.max(...totals.slice(50))).toBeLessThanOrEqual(warm);
      // No GPUBuffer is created after the warm-up steps: the pool serves every allocation.
      expect(created[999]).toBe(created[49]);
      // And the loop really trains (the GPU computes what it should).
      expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
      console.info(
        `memory: ${(warm / 1024).toFixed(0)} KiB pooled+live, ${created[999]} buffers created, loss ${losses[0].toFixed(3)} → ${losses[losses.length - 1].toFixed(4)}, ${JSON.stringify(backend.stats())}`,
      );
      for (const t of [...params, x, labels]) t.dispose();
    } finally {
      T.setBackend(previous);
    }
  });
});
