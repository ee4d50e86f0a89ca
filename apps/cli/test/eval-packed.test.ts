import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIdx } from '@fracbits/nn';
import { argmaxRows, inferCpu, writePackedModel } from '@fracbits/packed';
import { createNodeDevice } from '@fracbits/packed/node';
import { Rng } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const inCi = !['', 'false', '0', undefined].includes(process.env.CI);
const gpu = await createNodeDevice().then(
  (d) => {
    d.device.destroy();
    return true;
  },
  (err: Error) => {
    if (inCi) throw new Error(`eval --packed GPU tests need Dawn and an adapter in CI: ${err.message}`);
    return false;
  },
);

/** `fracbits eval …` through the whole program; fails the test unless it exits 0. */
async function evalCli(...args: string[]) {
  const r = await runCli('eval', ...args);
  if (r.code !== 0) throw new Error(r.stderr);
  return r;
}

const TEST_COUNT = 40;

/** Fashion-MNIST-shaped IDX files: class c (0..3) brightens rows 7c..7c+6, with noise. */
function fashionLike(): { dir: string; images: Float32Array; labels: Int32Array } {
  const dir = mkdtempSync(join(tmpdir(), 'fracbits-eval-packed-'));
  const rng = new Rng(11);
  const write = (n: number, prefix: string) => {
    const px = new Uint8Array(n * 784);
    const ys = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      ys[i] = i % 4;
      for (let p = 0; p < 784; p++)
        px[i * 784 + p] = Math.floor(rng.uniform() * 140) + (Math.floor(p / 28 / 7) === ys[i] ? 4 : 0);
    }
    writeFileSync(
      join(dir, `${prefix}-images-idx3-ubyte`),
      encodeIdx({ type: 'uint8', shape: [n, 28, 28], data: px }),
    );
    writeFileSync(
      join(dir, `${prefix}-labels-idx1-ubyte`),
      encodeIdx({ type: 'uint8', shape: [n], data: ys }),
    );
    return { px, ys };
  };
  write(8, 'train');
  const { px, ys } = write(TEST_COUNT, 't10k');
  return { dir, images: Float32Array.from(px, (v) => v * (1 / 255)), labels: Int32Array.from(ys) };
}

/** A one-layer packed classifier: +1 (1-bit code 1) on its class's rows, −1 elsewhere. */
function classifier(inputShape = [1, 28, 28]): Uint8Array {
  const k = inputShape.reduce((a, b) => a * b, 1);
  const codes = new Uint8Array(4 * k);
  for (let o = 0; o < 4; o++)
    for (let p = 0; p < k; p++) codes[o * k + p] = Math.floor(p / 28 / 7) === o ? 1 : 0;
  return writePackedModel({
    input: { shape: inputShape },
    layers: [{ name: 'fc', op: 'linear', outFeatures: 4, weightBits: 1, activation: null, codes }],
  });
}

const data = fashionLike();
const file = join(data.dir, 'classifier.fbpk');
writeFileSync(file, classifier());
const logits = inferCpu(classifier(), data.images);
const predicted = argmaxRows(logits, 4);
const expectedCorrect = predicted.reduce((s, p, i) => s + (p === data.labels[i] ? 1 : 0), 0);

describe('fracbits eval --packed', () => {
  it('reports the accuracy of the CPU twin runtime (--json)', async () => {
    expect(expectedCorrect).toBeGreaterThan(TEST_COUNT / 2); // the rows carry the class
    expect(expectedCorrect).toBeLessThan(TEST_COUNT); // ... and the noise makes some wrong
    const r = await evalCli(
      '--packed',
      file,
      '--data',
      data.dir,
      '--backend',
      'cpu',
      '--batch-size',
      '16',
      '--json',
    );
    expect(JSON.parse(r.stdout)).toEqual({
      file,
      backend: 'cpu',
      variant: 'dot4',
      accuracy: expectedCorrect / TEST_COUNT,
      correct: expectedCorrect,
      count: TEST_COUNT,
    });
  });

  it('--limit evaluates the first N images; text output', async () => {
    const r = await evalCli('--packed', file, '--data', data.dir, '--backend', 'cpu', '--limit', '10');
    const correct = predicted.slice(0, 10).reduce((s, p, i) => s + (p === data.labels[i] ? 1 : 0), 0);
    expect(r.stdout).toBe(
      `${file} (CPU twin): test accuracy ${(10 * correct).toFixed(2)} % on 10 images (${correct} correct)\n`,
    );
  });

  it.skipIf(!gpu)('the WebGPU runtime gives the same accuracy', async () => {
    const r = await evalCli('--packed', file, '--data', data.dir, '--backend', 'webgpu', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({
      backend: 'webgpu',
      correct: expectedCorrect,
      count: TEST_COUNT,
    });
  });

  it('explains a missing or bad file, a shape mismatch, missing data', async () => {
    await expect(evalCli('--data', data.dir)).rejects.toThrow(
      /eval needs a run directory \(or --packed <file>\)/,
    );
    await expect(evalCli('--packed', join(data.dir, 'nope.fbpk'), '--data', data.dir)).rejects.toThrow(
      /--packed: no such file ".*nope.fbpk"/,
    );
    const bad = join(data.dir, 'bad.fbpk');
    writeFileSync(bad, classifier().slice(0, 100));
    await expect(evalCli('--packed', bad, '--data', data.dir)).rejects.toThrow(
      /--packed: .*bad.fbpk is not a valid packed model: readPackedModel:/,
    );
    const small = join(data.dir, 'small.fbpk');
    writeFileSync(small, classifier([1, 14, 14]));
    await expect(evalCli('--packed', small, '--data', data.dir, '--backend', 'cpu')).rejects.toThrow(
      /the packed model takes \[1, 14, 14\] inputs but the Fashion-MNIST images are \[1, 28, 28\]/,
    );
    await expect(
      evalCli('--packed', file, '--data', join(data.dir, 'missing'), '--backend', 'cpu'),
    ).rejects.toThrow(/Fashion-MNIST not found/);
    await expect(evalCli('--packed', file, '--backend', 'tpu')).rejects.toThrow(
      /--backend: expected auto \| webgpu \| cpu, got "tpu"/,
    );
  });
});
