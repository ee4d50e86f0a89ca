/**
 * Batches of an in-memory dataset as tensors on the current backend, with seeded shuffling and
 * augmentation. The order and augmentation of epoch e depend only on (seed, e), so a resumed run
 * sees exactly the batches it would have seen.
 */
import { type Backend, getBackend, Rng, type Tensor, tensor } from '@fracbits/tensor';
import type { ImageDataset } from './dataset.js';

export interface Normalization {
  /** Per-channel (or one shared) mean and std of the [0, 1]-scaled pixels. */
  mean: readonly number[];
  std: readonly number[];
}

export interface Augmentation {
  /** Random crop of the original size from the image zero-padded by this many pixels per side. */
  cropPadding?: number;
  /** Mirror left-right with probability 1/2. */
  horizontalFlip?: boolean;
}

export interface DataLoaderOptions {
  batchSize: number;
  /** Reshuffle every epoch (default true). */
  shuffle?: boolean;
  /** Seed of shuffling and augmentation (default 0). */
  seed?: number;
  /** Drop the last partial batch (default false: it is kept). */
  dropLast?: boolean;
  /** Default: none, pixels in [0, 1]. */
  normalize?: Normalization;
  augment?: Augmentation;
  /** Backend of the batch tensors (default: the current backend when a batch is made). */
  backend?: Backend;
}

export interface Batch {
  /** [N, C, H, W] float32. */
  readonly x: Tensor;
  /** [N] int32. */
  readonly y: Tensor;
  /** The labels on the host (for metrics without a readback). */
  readonly labels: Int32Array;
  /** Dataset indices of the samples. */
  readonly indices: Int32Array;
  readonly size: number;
}

/** A generator for epoch `epoch` of a stream seeded by `seed` (splitmix inside Rng mixes them). */
function epochRng(seed: number, epoch: number): Rng {
  return new Rng((Math.imul(seed | 0, 0x2545f491) ^ Math.imul(epoch + 1, 0x9e3779b9)) | 0);
}

export class DataLoader {
  readonly dataset: ImageDataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly augment: Required<Augmentation>;
  /** The epoch the next `for … of` iterates; `batches(epoch)` does not change it. */
  epoch = 0;
  private readonly scale: Float32Array;
  private readonly shift: Float32Array;

  constructor(
    dataset: ImageDataset,
    private readonly options: DataLoaderOptions,
  ) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`DataLoader: batchSize must be a positive integer, got ${options.batchSize}`);
    }
    if (dataset.length === 0) throw new Error('DataLoader: the dataset is empty');
    this.dataset = dataset;
    this.batchSize = options.batchSize;
    this.shuffle = options.shuffle ?? true;
    this.seed = options.seed ?? 0;
    this.dropLast = options.dropLast ?? false;
    const cropPadding = options.augment?.cropPadding ?? 0;
    if (!Number.isInteger(cropPadding) || cropPadding < 0) {
      throw new Error(`DataLoader: augment.cropPadding must be an integer ≥ 0, got ${cropPadding}`);
    }
    this.augment = { cropPadding, horizontalFlip: options.augment?.horizontalFlip ?? false };
    [this.scale, this.shift] = this.channelAffine(options.normalize);
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.dataset.length / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** The sample order of an epoch. */
  order(epoch: number): Int32Array {
    const n = this.dataset.length;
    if (!this.shuffle) return Int32Array.from({ length: n }, (_, i) => i);
    return epochRng(this.seed, epoch).permutation(n);
  }

  /** The batches of `epoch`; each batch's tensors belong to the caller (dispose or scope them). */
  *batches(epoch: number): Generator<Batch> {
    const order = this.order(epoch);
    // A second stream for augmentation, so turning it on does not change the order.
    const augRng = epochRng(this.seed ^ 0x5bd1e995, epoch);
    for (let b = 0; b < this.length; b++) {
      const indices = order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length));
      yield this.makeBatch(indices, augRng);
    }
  }

  [Symbol.iterator](): Generator<Batch> {
    return this.batches(this.epoch++);
  }

  private makeBatch(indices: Int32Array, rng: Rng): Batch {
    const { images, labels: allLabels, shape } = this.dataset;
    const [c, h, w] = shape;
    const per = c * h * w;
    const pixelScale = images instanceof Uint8Array ? 1 / 255 : 1;
    const x = new Float32Array(indices.length * per);
    const labels = new Int32Array(indices.length);
    const pad = this.augment.cropPadding;
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      labels[i] = allLabels[j];
      // Crop offset in the padded image (pad = no shift) and flip, drawn per sample.
      const dy = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
      const dx = pad > 0 ? rng.int(2 * pad + 1) - pad : 0;
      const flip = this.augment.horizontalFlip && rng.uniform() < 0.5;
      const src = j * per;
      const dst = i * per;
      for (let ch = 0; ch < c; ch++) {
        const a = this.scale[ch];
        const b = this.shift[ch];
        for (let yy = 0; yy < h; yy++) {
          const sy = yy + dy;
          for (let xx = 0; xx < w; xx++) {
            const sx = (flip ? w - 1 - xx : xx) + dx;
            const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
            const v = inside ? images[src + (ch * h + sy) * w + sx] * pixelScale : 0;
            x[dst + (ch * h + yy) * w + xx] = v * a + b;
          }
        }
      }
    }
    const backend = this.options.backend ?? getBackend();
    return {
      x: tensor(x, [indices.length, c, h, w], { backend }),
      y: tensor(labels, [indices.length], { dtype: 'int32', backend }),
      labels,
      indices: indices.slice(),
      size: indices.length,
    };
  }

  /** (x − mean)/std as x·scale + shift per channel. */
  private channelAffine(norm: Normalization | undefined): [Float32Array, Float32Array] {
    const c = this.dataset.shape[0];
    const scale = new Float32Array(c).fill(1);
    const shift = new Float32Array(c);
    if (!norm) return [scale, shift];
    for (const [name, list] of [
      ['mean', norm.mean],
      ['std', norm.std],
    ] as const) {
      if (list.length !== 1 && list.length !== c) {
        throw new Error(
          `DataLoader: normalize.${name} needs ${c === 1 ? '1 value' : `1 or ${c} values`}, got ${list.length}`,
        );
      }
    }
    for (let ch = 0; ch < c; ch++) {
      const mean = norm.mean[norm.mean.length === 1 ? 0 : ch];
      const std = norm.std[norm.std.length === 1 ? 0 : ch];
      if (!(std > 0)) throw new Error(`DataLoader: normalize.std must be > 0, got ${std}`);
      scale[ch] = 1 / std;
      shift[ch] = -mean / std;
    }
    return [scale, shift];
  }
}
