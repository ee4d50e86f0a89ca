import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  balancedSubset,
  concatDatasets,
  createDataset,
  DataLoader,
  encodeIdx,
  gunzip,
  idxDataset,
  parseCifar10,
  parseIdx,
  subset,
} from '../src/index.js';
import { loadCifar10, loadFashionMnist } from '../src/node.js';

/** n grey images of h×w whose pixel (i, y, x) = (i·31 + y·w + x) mod 256, labels i mod classes. */
function idxFiles(n: number, h: number, w: number, classes = 3) {
  const pixels = Uint8Array.from({ length: n * h * w }, (_, k) => {
    const i = Math.floor(k / (h * w));
    return (i * 31 + (k % (h * w))) % 256;
  });
  const labels = Uint8Array.from({ length: n }, (_, i) => i % classes);
  return {
    pixels,
    labels,
    images: encodeIdx({ type: 'uint8', shape: [n, h, w], data: pixels }),
    labelFile: encodeIdx({ type: 'uint8', shape: [n], data: labels }),
  };
}

describe('IDX', () => {
  it('parses images and labels into a dataset', () => {
    const f = idxFiles(5, 3, 7);
    const ds = idxDataset(f.images, f.labelFile, 3);
    expect(ds.shape).toEqual([1, 3, 7]);
    expect(ds.length).toBe(5);
    expect([...ds.labels]).toEqual([0, 1, 2, 0, 1]);
    expect([...ds.images]).toEqual([...f.pixels]);
  });

  it('parses big-endian wider types', () => {
    const bytes = new Uint8Array([0, 0, 0x0c, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0]);
    const a = parseIdx(bytes);
    expect(a.type).toBe('int32');
    expect(a.shape).toEqual([2]);
    expect([...a.data]).toEqual([-2, 256]);
  });

  it('decompresses gzip with the browser-safe gunzip', async () => {
    const f = idxFiles(2, 2, 2);
    const gz = new Uint8Array(gzipSync(f.images));
    expect(() => parseIdx(gz)).toThrow(/gzip-compressed; decompress it first/);
    expect([...parseIdx(await gunzip(gz)).data]).toEqual([...f.pixels]);
    expect(await gunzip(f.images)).toBe(f.images);
    await expect(gunzip(gz.slice(0, 12))).rejects.toThrow(/gunzip: corrupted gzip data/);
  });

  it('rejects malformed files with clear errors', () => {
    const f = idxFiles(3, 2, 2);
    expect(() => parseIdx(new Uint8Array([1, 2]))).toThrow(/too short for the 4-byte magic/);
    expect(() => parseIdx(new Uint8Array([0, 0, 0x42, 1, 0, 0, 0, 0]))).toThrow(/bad magic 0x00004201/);
    expect(() => parseIdx(f.images.slice(0, 10))).toThrow(/truncated inside its header/);
    expect(() => parseIdx(f.images.slice(0, -1))).toThrow(/should be 28 bytes, got 27 \(truncated\)/);
    expect(() => idxDataset(f.images, idxFiles(2, 2, 2).labelFile)).toThrow(/3 images but 2 labels/);
    expect(() => idxDataset(f.labelFile, f.labelFile)).toThrow(/images must be uint8 \[N, H, W\]/);
  });
});

describe('CIFAR-10', () => {
  it('parses records of label + 3×32×32 pixels', () => {
    const n = 3;
    const bytes = new Uint8Array(n * 3073);
    for (let i = 0; i < n; i++) {
      bytes[i * 3073] = 9 - i;
      for (let k = 0; k < 3072; k++) bytes[i * 3073 + 1 + k] = (k + i) % 251;
    }
    const ds = parseCifar10(bytes);
    expect(ds.shape).toEqual([3, 32, 32]);
    expect([...ds.labels]).toEqual([9, 8, 7]);
    expect(ds.images[3072 + 1024]).toBe((1024 + 1) % 251); // sample 1, green plane, pixel 0
    expect(() => parseCifar10(bytes.slice(1))).toThrow(/not a positive multiple of the 3073-byte record/);
    bytes[3073] = 10;
    expect(() => parseCifar10(bytes)).toThrow(/record 1 has label 10, expected 0–9/);
  });
});

describe('datasets', () => {
  const f = idxFiles(12, 2, 3, 3);
  const ds = idxDataset(f.images, f.labelFile, 3);

  it('validates construction', () => {
    expect(() => createDataset({ images: new Uint8Array(5), labels: [0, 1], shape: [1, 1, 3] })).toThrow(
      /2 labels need 6 pixel values for samples of \[1, 1, 3\], got 5/,
    );
    expect(() =>
      createDataset({ images: new Uint8Array(2), labels: [0, 4], shape: [1, 1, 1], numClasses: 3 }),
    ).toThrow(/label 4 is out of range for 3 classes/);
  });

  it('takes subsets and concatenations', () => {
    const s = subset(ds, [4, 0]);
    expect([...s.labels]).toEqual([1, 0]);
    expect([...s.images.slice(0, 6)]).toEqual([...ds.images.slice(24, 30)]);
    expect(() => subset(ds, [12])).toThrow(/index 12 is out of range for a dataset of 12 samples/);
    const c = concatDatasets([s, s]);
    expect(c.length).toBe(4);
    expect([...c.labels]).toEqual([1, 0, 1, 0]);
  });

  it('balancedSubset picks perClass of every class, seeded', () => {
    const idx = balancedSubset(ds.labels, 2, 7);
    expect(idx).toHaveLength(6);
    const counts = [0, 0, 0];
    for (const i of idx) counts[ds.labels[i]]++;
    expect(counts).toEqual([2, 2, 2]);
    expect([...balancedSubset(ds.labels, 2, 7)]).toEqual([...idx]);
    expect([...idx]).toEqual([...idx].sort((a, b) => a - b));
    expect(() => balancedSubset(ds.labels, 5)).toThrow(/class 0 has 4 samples, fewer than 5/);
  });
});

describe('DataLoader', () => {
  const f = idxFiles(11, 3, 4, 3);
  const ds = idxDataset(f.images, f.labelFile, 3);
  const orderOf = (loader: DataLoader, epoch: number) =>
    [...loader.batches(epoch)].flatMap((b) => [...b.indices]);

  it('batches every sample once, keeping the last partial batch', () => {
    const loader = new DataLoader(ds, { batchSize: 4, seed: 1 });
    const batches = [...loader.batches(0)];
    expect(loader.length).toBe(3);
    expect(batches.map((b) => b.size)).toEqual([4, 4, 3]);
    expect(batches[2].x.shape).toEqual([3, 1, 3, 4]);
    expect(batches[2].y.dtype).toBe('int32');
    expect(orderOf(loader, 0).sort((a, b) => a - b)).toEqual([...Array(11).keys()]);
    const b = batches[0];
    expect([...b.y.dataSync()]).toEqual([...b.indices].map((i) => ds.labels[i]));
    expect([...b.labels]).toEqual([...b.y.dataSync()]);
    // Pixels scaled to [0, 1].
    const first = b.indices[0];
    expect(b.x.dataSync()[5]).toBeCloseTo(ds.images[first * 12 + 5] / 255, 6);
    expect(new DataLoader(ds, { batchSize: 4, dropLast: true }).length).toBe(2);
  });

  it('shuffles deterministically by seed and epoch', () => {
    const a = new DataLoader(ds, { batchSize: 5, seed: 3 });
    const b = new DataLoader(ds, { batchSize: 5, seed: 3 });
    expect(orderOf(a, 0)).toEqual(orderOf(b, 0));
    expect(orderOf(a, 1)).toEqual(orderOf(b, 1));
    expect(orderOf(a, 0)).not.toEqual(orderOf(a, 1));
    expect(orderOf(a, 0)).not.toEqual(orderOf(new DataLoader(ds, { batchSize: 5, seed: 4 }), 0));
    expect(orderOf(new DataLoader(ds, { batchSize: 5, shuffle: false }), 0)).toEqual([...Array(11).keys()]);
    // Iterating advances the epoch.
    const it1 = [...a].flatMap((x) => [...x.indices]);
    const it2 = [...a].flatMap((x) => [...x.indices]);
    expect(it1).toEqual(orderOf(b, 0));
    expect(it2).toEqual(orderOf(b, 1));
  });

  it('normalises with per-channel mean and std', () => {
    const loader = new DataLoader(ds, {
      batchSize: 11,
      shuffle: false,
      normalize: { mean: [0.5], std: [0.25] },
    });
    const [batch] = [...loader.batches(0)];
    const x = batch.x.dataSync();
    for (const k of [0, 7, 50, 131]) expect(x[k]).toBeCloseTo((ds.images[k] / 255 - 0.5) / 0.25, 5);
    expect(() => new DataLoader(ds, { batchSize: 1, normalize: { mean: [0, 0], std: [1] } })).toThrow(
      /normalize.mean needs 1 value, got 2/,
    );
  });

  it('augments with seeded random crops and flips', () => {
    // One 3×4 image with distinct pixels 1..12.
    const img = createDataset({
      images: Float32Array.from({ length: 12 }, (_, i) => i + 1),
      labels: [0],
      shape: [1, 3, 4],
    });
    const flips = new DataLoader(img, { batchSize: 1, augment: { horizontalFlip: true }, seed: 5 });
    const seen = new Set<string>();
    for (let e = 0; e < 16; e++) seen.add([...[...flips.batches(e)][0].x.dataSync()].join(','));
    expect([...seen].sort()).toEqual(['1,2,3,4,5,6,7,8,9,10,11,12', '4,3,2,1,8,7,6,5,12,11,10,9'].sort());

    const crops = new DataLoader(img, { batchSize: 1, augment: { cropPadding: 1 }, seed: 5 });
    for (let e = 0; e < 10; e++) {
      const x = [...[...crops.batches(e)][0].x.dataSync()];
      // Every crop is the image shifted by (dy, dx) ∈ [−1, 1]² with zeros shifted in.
      const match = [-1, 0, 1].some((dy) =>
        [-1, 0, 1].some((dx) =>
          x.every((v, k) => {
            const y = Math.floor(k / 4) + dy;
            const xx = (k % 4) + dx;
            return v === (y >= 0 && y < 3 && xx >= 0 && xx < 4 ? y * 4 + xx + 1 : 0);
          }),
        ),
      );
      expect(match).toBe(true);
    }
    const again = new DataLoader(img, { batchSize: 1, augment: { cropPadding: 1 }, seed: 5 });
    expect([...[...again.batches(3)][0].x.dataSync()]).toEqual([...[...crops.batches(3)][0].x.dataSync()]);
  });

  it('rejects bad options', () => {
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => new DataLoader(ds, { batchSize: 1, augment: { cropPadding: -1 } })).toThrow(
      /cropPadding must be an integer ≥ 0/,
    );
  });
});

describe('directory loaders (node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fracbits-nn-data-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads Fashion-MNIST-layout IDX files, gzip or raw, from an option or FRACBITS_DATA_DIR', () => {
    const train = idxFiles(6, 4, 4, 2);
    const test = idxFiles(3, 4, 4, 2);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(train.images));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(train.labelFile));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), test.images);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), test.labelFile);
    const data = loadFashionMnist({ dir });
    expect(data.train.length).toBe(6);
    expect(data.test.length).toBe(3);
    expect([...data.train.images]).toEqual([...train.pixels]);
    const saved = process.env.FRACBITS_DATA_DIR;
    process.env.FRACBITS_DATA_DIR = dir;
    try {
      expect(loadFashionMnist().test.length).toBe(3);
    } finally {
      if (saved === undefined) delete process.env.FRACBITS_DATA_DIR;
      else process.env.FRACBITS_DATA_DIR = saved;
    }
  });

  it('says how to get a missing dataset and names a corrupted file', () => {
    const empty = join(dir, 'nothing');
    expect(() => loadFashionMnist({ dir: empty })).toThrow(
      /Fashion-MNIST not found: .*apt-get install dataset-fashion-mnist.*FRACBITS_DATA_DIR/,
    );
    const bad = mkdtempSync(join(dir, 'bad-'));
    const f = idxFiles(2, 2, 2);
    writeFileSync(join(bad, 'train-images-idx3-ubyte'), f.images.slice(0, 20));
    writeFileSync(join(bad, 'train-labels-idx1-ubyte'), f.labelFile);
    expect(() => loadFashionMnist({ dir: bad })).toThrow(
      /Fashion-MNIST \(.*bad-.*\): parseIdx: image file .* \(truncated\)/,
    );
    writeFileSync(join(bad, 'train-images-idx3-ubyte.gz'), new Uint8Array([0x1f, 0x8b, 1, 2, 3]));
    expect(() => loadFashionMnist({ dir: bad })).toThrow(/corrupted gzip data/);
    expect(() => loadCifar10({ dir: empty })).toThrow(/CIFAR-10 not found: data_batch_1.bin missing/);
  });
});
