/**
 * The page's data: the Fashion-MNIST subset prepared at build time (scripts/make-data.mjs →
 * data/*.idx + info.json), parsed with @fracbits/nn's browser-safe IDX reader; or, when the build
 * machine had no dataset, synthetic 28×28 images, and a sentence saying so.
 */
import { createDataset, type ImageDataset, idxDataset, subset } from '@fracbits/nn';
import { uniformStream } from '@fracbits/tensor';

export interface DemoData {
  readonly train: ImageDataset;
  readonly test: ImageDataset;
  /** One sentence for the page: where the images come from. */
  readonly description: string;
  readonly synthetic: boolean;
}

interface DataInfo {
  readonly available: boolean;
  readonly reason?: string;
  readonly source?: string;
  readonly selection?: string;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`loading ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Ten classes of simple shapes (bars, boxes, crosses at class-dependent places) over noise, with
 * random shifts: learnable, but not in one step.
 */
export function syntheticDataset(n: number, seed: number): ImageDataset {
  const rnd = uniformStream(seed);
  const images = new Uint8Array(n * 784);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = c;
    const dy = Math.floor(rnd() * 5) - 2;
    const dx = Math.floor(rnd() * 5) - 2;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const u = y - dy;
        const v = x - dx;
        const on =
          c < 5
            ? u >= 4 + 4 * c && u < 7 + 4 * c && v >= 4 && v < 24 // horizontal bars
            : c < 9
              ? v >= 4 + 5 * (c - 5) && v < 7 + 5 * (c - 5) && u >= 4 && u < 24 // vertical bars
              : Math.abs(u - v) < 2 || Math.abs(u + v - 27) < 2; // a cross
        images[i * 784 + y * 28 + x] = on ? 150 + rnd() * 105 : rnd() * 90;
      }
    }
  }
  return createDataset({ images, labels, shape: [1, 28, 28], numClasses: 10 });
}

/** Loads the data next to the page (`base` is the page's folder URL). */
export async function loadDemoData(base: string): Promise<DemoData> {
  let info: DataInfo;
  try {
    const response = await fetch(new URL('data/info.json', base));
    info = response.ok
      ? ((await response.json()) as DataInfo)
      : { available: false, reason: `no data/info.json (HTTP ${response.status})` };
  } catch (e) {
    info = { available: false, reason: `data/info.json could not be read (${(e as Error).message})` };
  }
  if (!info.available) {
    return {
      train: syntheticDataset(2000, 1),
      test: syntheticDataset(1000, 2),
      description: `Synthetic images (bars and crosses, 10 classes), not Fashion-MNIST: ${info.reason ?? 'no dataset was prepared'}.`,
      synthetic: true,
    };
  }
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
    ].map((f) => fetchBytes(new URL(`data/${f}`, base).href)),
  );
  const train = idxDataset(trainImages, trainLabels);
  const test = idxDataset(testImages, testLabels);
  return {
    train,
    test,
    description: `${info.source}: ${info.selection} (prepared when the page was built).`,
    synthetic: false,
  };
}

/** The first `n` images of each class (round-robin order), so any size is class-balanced. */
export function takeBalanced(data: ImageDataset, n: number): ImageDataset {
  const byClass: number[][] = Array.from({ length: data.numClasses }, () => []);
  data.labels.forEach((c, i) => {
    byClass[c].push(i);
  });
  const picked: number[] = [];
  for (let k = 0; picked.length < n; k++) {
    let added = false;
    for (const list of byClass) {
      if (k < list.length && picked.length < n) {
        picked.push(list[k]);
        added = true;
      }
    }
    if (!added) break;
  }
  return subset(data, picked);
}

/** The first `n` images. */
export function takeFirst(data: ImageDataset, n: number): ImageDataset {
  return subset(
    data,
    Array.from({ length: Math.min(n, data.length) }, (_, i) => i),
  );
}
