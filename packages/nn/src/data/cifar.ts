/**
 * The CIFAR-10 binary format: records of 1 label byte followed by 3072 pixel bytes (1024 red,
 * 1024 green, 1024 blue, each 32×32 row-major) — already NCHW.
 */
import { createDataset, type ImageDataset } from './dataset.js';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

const PIXELS = 3 * 32 * 32;
const RECORD = 1 + PIXELS;

export function parseCifar10(bytes: Uint8Array, what = 'CIFAR-10 batch'): ImageDataset {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new Error(
      `parseCifar10: ${what} is ${bytes.length} bytes, not a positive multiple of the ${RECORD}-byte record`,
    );
  }
  const n = bytes.length / RECORD;
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = bytes[i * RECORD];
    if (label > 9) throw new Error(`parseCifar10: ${what} record ${i} has label ${label}, expected 0–9`);
    labels[i] = label;
    images.set(bytes.subarray(i * RECORD + 1, (i + 1) * RECORD), i * PIXELS);
  }
  return createDataset({ images, labels, shape: [3, 32, 32], numClasses: 10 });
}
