/**
 * A tiny, learnable stand-in for Fashion-MNIST written as IDX files: class c is a bright
 * horizontal band at rows 2c + 4 and 2c + 5 over dim noise, so a few steps of training separate the
 * classes and the accuracies the walkthrough compares are not all at chance.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeIdx } from '@fracbits/nn';
import { uniformStream } from '@fracbits/tensor';

function split(n: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const random = uniformStream(seed);
  const images = new Uint8Array(n * 28 * 28);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = c;
    for (let y = 0; y < 28; y++) {
      const band = y >= 2 * c + 4 && y < 2 * c + 6;
      for (let x = 0; x < 28; x++) images[i * 784 + y * 28 + x] = band ? 180 + random() * 75 : random() * 60;
    }
  }
  return { images, labels };
}

/** Writes train (n) and t10k (m) IDX files, uncompressed, into `dir`. */
export function writeTinyFashionMnist(dir: string, n: number, m: number): void {
  mkdirSync(dir, { recursive: true });
  for (const [prefix, count, seed] of [
    ['train', n, 1],
    ['t10k', m, 2],
  ] as const) {
    const { images, labels } = split(count, seed);
    writeFileSync(
      join(dir, `${prefix}-images-idx3-ubyte`),
      encodeIdx({ type: 'uint8', shape: [count, 28, 28], data: images }),
    );
    writeFileSync(
      join(dir, `${prefix}-labels-idx1-ubyte`),
      encodeIdx({ type: 'uint8', shape: [count], data: labels }),
    );
  }
}
