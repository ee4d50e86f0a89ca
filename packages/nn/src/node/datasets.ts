/** Dataset directory loaders (Node only): Fashion-MNIST / MNIST IDX files and CIFAR-10 binaries. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseCifar10 } from '../data/cifar.js';
import { concatDatasets, type ImageDataset } from '../data/dataset.js';
import { isGzip } from '../data/gzip.js';
import { idxDataset } from '../data/idx.js';

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface DatasetDirOptions {
  /** Directory with the files (default: $FRACBITS_DATA_DIR, then the dataset's default). */
  dir?: string;
}

export interface TrainTestSplit {
  readonly train: ImageDataset;
  readonly test: ImageDataset;
}

/** Reads a file, decompressing it when it is gzip. */
export function readMaybeGzip(path: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  if (!isGzip(bytes)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (e) {
    throw new Error(`${path}: corrupted gzip data (${(e as Error).message})`);
  }
}

/** `name.gz` or `name` in dir, whichever exists. */
function findFile(dir: string, name: string): string | null {
  for (const candidate of [`${name}.gz`, name]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  return null;
}

function withContext<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

const IDX_FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

function loadIdxDir(dir: string, dataset: string, howToGet: string): TrainTestSplit {
  const load = (split: 'train' | 'test'): ImageDataset => {
    const [imagesName, labelsName] = IDX_FILES[split];
    const images = findFile(dir, imagesName);
    const labels = findFile(dir, labelsName);
    if (!images || !labels) {
      const missing = [images ? null : imagesName, labels ? null : labelsName].filter(Boolean).join(', ');
      throw new Error(`${dataset} not found: ${missing}[.gz] missing in ${dir}. ${howToGet}`);
    }
    return withContext(`${dataset} (${dir})`, () => idxDataset(readMaybeGzip(images), readMaybeGzip(labels)));
  };
  return { train: load('train'), test: load('test') };
}

/**
 * Fashion-MNIST (60 000 + 10 000 grey 28×28 images, 10 classes) from a directory of IDX files,
 * gzip or raw: options.dir, else $FRACBITS_DATA_DIR, else /usr/share/datasets/fashion-mnist.
 */
export function loadFashionMnist(options: DatasetDirOptions = {}): TrainTestSplit {
  const dir = options.dir ?? process.env.FRACBITS_DATA_DIR ?? DEFAULT_FASHION_MNIST_DIR;
  return loadIdxDir(
    dir,
    'Fashion-MNIST',
    'Install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu; files go to /usr/share/datasets/fashion-mnist), ' +
      'or download the four IDX files from https://github.com/zalandoresearch/fashion-mnist and point --data or FRACBITS_DATA_DIR at their directory.',
  );
}

/** MNIST from a directory of IDX files (same layout as Fashion-MNIST): options.dir or $FRACBITS_DATA_DIR. */
export function loadMnist(options: DatasetDirOptions = {}): TrainTestSplit {
  const dir = options.dir ?? process.env.FRACBITS_DATA_DIR;
  const howTo = 'Download the four MNIST IDX files and point --data or FRACBITS_DATA_DIR at their directory.';
  if (!dir) throw new Error(`MNIST: no directory given. ${howTo}`);
  return loadIdxDir(dir, 'MNIST', howTo);
}

/**
 * CIFAR-10 from its binary version (data_batch_1..5.bin, test_batch.bin) in options.dir or
 * $FRACBITS_DATA_DIR, or in a `cifar-10-batches-bin` folder inside it.
 */
export function loadCifar10(options: DatasetDirOptions = {}): TrainTestSplit {
  const howTo =
    'Download the binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, ' +
    'extract it and point --data or FRACBITS_DATA_DIR at cifar-10-batches-bin.';
  const given = options.dir ?? process.env.FRACBITS_DATA_DIR;
  if (!given) throw new Error(`CIFAR-10: no directory given. ${howTo}`);
  const dir = existsSync(join(given, 'cifar-10-batches-bin')) ? join(given, 'cifar-10-batches-bin') : given;
  const read = (name: string): ImageDataset => {
    const path = join(dir, name);
    if (!existsSync(path)) throw new Error(`CIFAR-10 not found: ${name} missing in ${dir}. ${howTo}`);
    return withContext(path, () => parseCifar10(new Uint8Array(readFileSync(path)), name));
  };
  const train = concatDatasets([1, 2, 3, 4, 5].map((i) => read(`data_batch_${i}.bin`)));
  return { train, test: read('test_batch.bin') };
}
