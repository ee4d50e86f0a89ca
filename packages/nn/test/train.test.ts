import { mulScalar, Rng, sum } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import {
  Conv2d,
  CosineSchedule,
  createDataset,
  DataLoader,
  evaluate,
  Flatten,
  type ImageDataset,
  Linear,
  ReLU,
  Sequential,
  SGD,
  splitDecay,
  type TrainEvent,
  trainEpoch,
} from '../src/index.js';

/** Three Gaussian blobs in 2-D, stored as [2, 1, 1] "images". */
function blobs(n: number, seed: number): ImageDataset {
  const rng = new Rng(seed);
  const centres = [
    [2, 0],
    [-1, 1.7],
    [-1, -1.7],
  ];
  const images = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    images[2 * i] = centres[c][0] + 0.4 * rng.normal();
    images[2 * i + 1] = centres[c][1] + 0.4 * rng.normal();
  }
  return createDataset({ images, labels, shape: [2, 1, 1], numClasses: 3 });
}

/** 6×6 images of a horizontal (class 0) or vertical (class 1) bar at a random position, plus noise. */
function bars(n: number, seed: number): ImageDataset {
  const rng = new Rng(seed);
  const images = new Float32Array(n * 36);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const at = rng.int(6);
    labels[i] = c;
    for (let k = 0; k < 36; k++) {
      const [y, x] = [Math.floor(k / 6), k % 6];
      images[i * 36 + k] = ((c === 0 ? y : x) === at ? 1 : 0) + 0.2 * rng.normal();
    }
  }
  return createDataset({ images, labels, shape: [1, 6, 6], numClasses: 2 });
}

describe('training loop (CPU backend)', () => {
  it('trains an MLP on separable blobs to high accuracy, with events', async () => {
    const rng = new Rng(1);
    const model = new Sequential(
      new Flatten(),
      new Linear(2, 16, { rng }),
      new ReLU(),
      new Linear(16, 3, { rng }),
    );
    const train = new DataLoader(blobs(150, 2), { batchSize: 16, seed: 3 });
    const test = new DataLoader(blobs(60, 4), { batchSize: 32, shuffle: false });
    const epochs = 5;
    const optimizer = new SGD(splitDecay(model, 1e-4), { lr: 0.2, momentum: 0.9 });
    const schedule = new CosineSchedule({ baseLr: 0.2, totalSteps: epochs * train.length, warmupSteps: 2 });
    const events: TrainEvent[] = [];
    const before = await evaluate(model, test);
    for (let epoch = 0; epoch < epochs; epoch++) {
      await trainEpoch(model, train, optimizer, {
        epoch,
        schedule,
        readLossEvery: 4,
        onEvent: (e) => events.push(e),
      });
    }
    const after = await evaluate(model, test);
    expect(after.count).toBe(60);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(after.loss).toBeLessThan(before.loss);
    expect(model.training).toBe(true); // evaluate restores the mode

    const batches = events.filter((e) => e.type === 'batch');
    expect(batches).toHaveLength(epochs * train.length);
    expect(batches.filter((e) => e.loss !== undefined)).toHaveLength(epochs * Math.floor(train.length / 4));
    expect(batches.map((e) => e.step)).toEqual(batches.map((_, i) => i + 1));
    expect(batches[0].lr).toBeCloseTo(0.1);
    expect(batches[1].lr).toBeCloseTo(0.2);
    const epochEvents = events.filter((e) => e.type === 'epoch');
    expect(epochEvents.map((e) => e.epoch)).toEqual([0, 1, 2, 3, 4]);
    expect(epochEvents[4].loss).toBeLessThan(epochEvents[0].loss);
    expect(optimizer.stepCount).toBe(epochs * train.length);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('trains a tiny CNN on bar images', async () => {
    const rng = new Rng(5);
    const model = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, rng }),
      new ReLU(),
      new Flatten(),
      new Linear(4 * 36, 2, { rng }),
    );
    const train = new DataLoader(bars(160, 6), { batchSize: 16, seed: 7 });
    const test = new DataLoader(bars(40, 8), { batchSize: 40, shuffle: false });
    const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    for (let epoch = 0; epoch < 8; epoch++)
      await trainEpoch(model, train, optimizer, { epoch, readLossEvery: 0, clipGradNorm: 5 });
    const acc = (await evaluate(model, test)).accuracy;
    expect(acc).toBeGreaterThanOrEqual(0.95);
  });

  it('adds extraLoss to every step: its gradient reaches the parameters, the reported loss stays the task loss', async () => {
    const runOnce = async (withExtra: boolean) => {
      const rng = new Rng(3);
      const head = new Linear(2, 3, { rng });
      const model = new Sequential(new Flatten(), head);
      const loader = new DataLoader(blobs(48, 4), { batchSize: 16, seed: 2 });
      const optimizer = new SGD(model.parameters(), { lr: 0.1 });
      let prepared = 0;
      const r = await trainEpoch(model, loader, optimizer, {
        epoch: 0,
        maxSteps: 1,
        ...(withExtra
          ? {
              extraLoss: {
                prepare: async () => {
                  prepared++;
                  return 2.5;
                },
                // d/d bias of k·Σ bias = k for every element.
                loss: (k: number) => mulScalar(sum(head.bias!), k),
              },
            }
          : {}),
      });
      return { bias: Array.from(await head.bias!.data()), loss: r.loss, prepared };
    };
    const plain = await runOnce(false);
    const extra = await runOnce(true);
    expect(extra.prepared).toBe(1);
    expect(extra.loss).toBe(plain.loss);
    for (const [i, b] of extra.bias.entries()) expect(b - plain.bias[i]).toBeCloseTo(-0.1 * 2.5, 6);
  });

  it('does not grow memory over steps', async () => {
    const rng = new Rng(1);
    const model = new Sequential(
      new Flatten(),
      new Linear(2, 8, { rng }),
      new ReLU(),
      new Linear(8, 3, { rng }),
    );
    const loader = new DataLoader(blobs(64, 2), { batchSize: 16 });
    const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const backend = model.parameters()[0].backend;
    await trainEpoch(model, loader, optimizer, { readLossEvery: 2 });
    await evaluate(model, loader);
    const live = backend.memory().liveBuffers;
    for (let i = 0; i < 3; i++) {
      await trainEpoch(model, loader, optimizer, { readLossEvery: 2 });
      await evaluate(model, loader);
    }
    expect(backend.memory().liveBuffers).toBe(live);
  });

  it('reports a non-scalar loss clearly', async () => {
    const model = new Sequential(new Flatten(), new Linear(2, 3));
    const loader = new DataLoader(blobs(6, 1), { batchSize: 3 });
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    await expect(trainEpoch(model, loader, optimizer, { lossFn: (out) => out })).rejects.toThrow(
      /lossFn must return a scalar, got .*\[3, 3\]/,
    );
  });
});
