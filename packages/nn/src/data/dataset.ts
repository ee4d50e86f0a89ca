/** In-memory image-classification datasets (NCHW pixels + int labels) and subsets of them. */
import { Rng } from '@fracbits/tensor';

export interface ImageDataset {
  /**
   * Pixels, sample-major NCHW. Uint8Array: 0..255 bytes, scaled to [0, 1] by the loader;
   * Float32Array: used as they are.
   */
  readonly images: Uint8Array | Float32Array;
  readonly labels: Int32Array;
  /** One sample's shape [C, H, W]. */
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
  readonly length: number;
}

export interface DatasetInit {
  images: Uint8Array | Float32Array;
  labels: ArrayLike<number>;
  shape: readonly [number, number, number];
  /** Default: max label + 1. */
  numClasses?: number;
}

/** Validates and builds a dataset (sizes must agree; labels in [0, numClasses)). */
export function createDataset(init: DatasetInit): ImageDataset {
  const { images, shape } = init;
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`createDataset: shape must be [C, H, W] of positive integers, got [${shape.join(', ')}]`);
  }
  const labels = Int32Array.from(init.labels);
  const per = shape[0] * shape[1] * shape[2];
  if (images.length !== labels.length * per) {
    throw new Error(
      `createDataset: ${labels.length} labels need ${labels.length * per} pixel values for samples of [${shape.join(', ')}], got ${images.length}`,
    );
  }
  let maxLabel = -1;
  for (const l of labels) {
    if (l < 0) throw new Error(`createDataset: labels must be ≥ 0, got ${l}`);
    if (l > maxLabel) maxLabel = l;
  }
  const numClasses = init.numClasses ?? maxLabel + 1;
  if (maxLabel >= numClasses)
    throw new Error(`createDataset: label ${maxLabel} is out of range for ${numClasses} classes`);
  return { images, labels, shape: [shape[0], shape[1], shape[2]], numClasses, length: labels.length };
}

/** A new dataset holding the samples at `indices` (in that order; copies the pixels). */
export function subset(dataset: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const per = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  const images = new (dataset.images.constructor as new (n: number) => Uint8Array | Float32Array)(
    indices.length * per,
  );
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= dataset.length) {
      throw new Error(`subset: index ${j} is out of range for a dataset of ${dataset.length} samples`);
    }
    images.set(dataset.images.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = dataset.labels[j];
  }
  return { images, labels, shape: dataset.shape, numClasses: dataset.numClasses, length: indices.length };
}

/** Concatenates datasets of the same sample shape and pixel type (e.g. CIFAR's five batches). */
export function concatDatasets(parts: readonly ImageDataset[]): ImageDataset {
  if (parts.length === 0) throw new Error('concatDatasets: no datasets given');
  const first = parts[0];
  for (const p of parts) {
    if (p.shape.join() !== first.shape.join() || p.images.constructor !== first.images.constructor) {
      throw new Error(
        `concatDatasets: datasets differ in sample shape or pixel type ([${p.shape}] vs [${first.shape}])`,
      );
    }
  }
  const images = new (first.images.constructor as new (n: number) => Uint8Array | Float32Array)(
    parts.reduce((n, p) => n + p.images.length, 0),
  );
  const labels = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let pi = 0;
  let li = 0;
  for (const p of parts) {
    images.set(p.images, pi);
    labels.set(p.labels, li);
    pi += p.images.length;
    li += p.length;
  }
  return {
    images,
    labels,
    shape: first.shape,
    numClasses: Math.max(...parts.map((p) => p.numClasses)),
    length: labels.length,
  };
}

/**
 * Indices of `perClass` samples of every class (drawn by a seeded shuffle), sorted ascending.
 * Throws if a class has fewer samples.
 */
export function balancedSubset(labels: ArrayLike<number>, perClass: number, seed = 0): Int32Array {
  if (!Number.isInteger(perClass) || perClass < 1)
    throw new Error(`balancedSubset: perClass must be a positive integer, got ${perClass}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]) ?? [];
    list.push(i);
    byClass.set(labels[i], list);
  }
  const rng = new Rng(seed);
  const picked: number[] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = byClass.get(cls)!;
    if (list.length < perClass) {
      throw new Error(`balancedSubset: class ${cls} has ${list.length} samples, fewer than ${perClass}`);
    }
    rng.shuffle(list);
    picked.push(...list.slice(0, perClass));
  }
  return Int32Array.from(picked.sort((a, b) => a - b));
}
