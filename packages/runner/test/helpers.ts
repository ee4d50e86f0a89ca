/** Test fixtures: tiny IDX datasets written to a temporary directory, and temp dirs. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIdx } from '@fracbits/nn';
import { Rng } from '@fracbits/tensor';

export function tempDir(prefix = 'fracbits-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A Fashion-MNIST-shaped directory (the four IDX files) of `size`×`size` images in `classes`
 * classes: class c lights up row 2c mod size plus noise, so a tiny LeNet learns it.
 */
export function writeTinyIdx(
  dir: string,
  options: { train?: number; test?: number; size?: number; classes?: number; seed?: number } = {},
): string {
  const { train = 40, test = 20, size = 12, classes = 4, seed = 3 } = options;
  const rng = new Rng(seed);
  const write = (n: number, images: string, labels: string) => {
    const pixels = new Uint8Array(n * size * size);
    const ys = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % classes;
      ys[i] = c;
      for (let p = 0; p < size * size; p++) {
        const row = Math.floor(p / size);
        pixels[i * size * size + p] = Math.min(
          255,
          Math.floor(rng.uniform() * 60) + (row === (2 * c) % size ? 180 : 0),
        );
      }
    }
    writeFileSync(join(dir, images), encodeIdx({ type: 'uint8', shape: [n, size, size], data: pixels }));
    writeFileSync(join(dir, labels), encodeIdx({ type: 'uint8', shape: [n], data: ys }));
  };
  write(train, 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte');
  write(test, 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte');
  return dir;
}

/** A small, fast config on the tiny data (CPU backend, no cache outside `dir`). */
export function tinyConfig(
  dir: string,
  dataDir: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    model: 'lenet5',
    data: { dir: dataDir, trainSubset: 'all' },
    backend: 'cpu',
    batchSize: 8,
    epochs: 3,
    searchFraction: 0.67,
    pretrain: { epochs: 1 },
    cacheDir: join(dir, 'cache'),
    out: join(dir, 'run'),
    readLossEvery: 1,
    ...extra,
  };
}
