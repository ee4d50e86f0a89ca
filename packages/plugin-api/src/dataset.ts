/** The dataset interface: labelled samples served in batches of plain typed arrays. */
import type { Versioned } from './version.js';

/** A batch: `inputs` is row-major `[n, ...inputShape]`, `labels` holds n class indices. */
export interface Batch {
  readonly inputs: Float32Array;
  readonly labels: Int32Array;
}

/** One split (train or test). Random access so the host can shuffle with its own seeded RNG. */
export interface DatasetSplit {
  readonly length: number;
  /** Gathers the samples at `indices` (each in [0, length)), already normalised. */
  batch(indices: ArrayLike<number>): Batch;
}

export interface DatasetSplits {
  readonly train: DatasetSplit;
  readonly test: DatasetSplit;
  /** Shape of one sample, e.g. `[1, 28, 28]`. */
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly classNames?: readonly string[];
}

/**
 * @example
 * ```ts
 * const noise = defineDataset({
 *   specificationVersion: 'v1', name: 'noise', description: 'random inputs, 2 classes',
 *   async load() {
 *     const split = { length: 8, batch: (idx) => ({
 *       inputs: new Float32Array(idx.length * 4).map(Math.random),
 *       labels: Int32Array.from(Array.from(idx), (i) => i % 2) }) };
 *     return { train: split, test: split, inputShape: [4], numClasses: 2 };
 *   },
 * });
 * ```
 */
export interface Dataset extends Versioned {
  readonly description: string;
  /** Loads the splits; `options.root` conventionally names a data directory. */
  load(options?: Readonly<Record<string, unknown>>): Promise<DatasetSplits>;
}

/** Identity helper that type-checks a dataset literal. */
export function defineDataset<T extends Dataset>(dataset: T): T {
  return dataset;
}
