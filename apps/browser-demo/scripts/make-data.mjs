#!/usr/bin/env node
/**
 * Prepares the page's data at build time: a small Fashion-MNIST subset (the first 200 training
 * images of each class and the first 1000 test images) from Debian's dataset-fashion-mnist,
 * written as uncompressed IDX files into public/data/, with info.json describing it. Without the
 * dataset, info.json says so and the page generates synthetic images instead (and tells the user).
 *
 *   node scripts/make-data.mjs [--dir <fashion-mnist dir>]   (default $FRACBITS_DATA_DIR, then Debian's)
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const PER_CLASS = 200;
const TEST = 1000;
const out = resolve(dirname(fileURLToPath(import.meta.url)), '../public/data');
const flag = process.argv.indexOf('--dir');
const dir =
  (flag >= 0 ? process.argv[flag + 1] : undefined) ??
  process.env.FRACBITS_DATA_DIR ??
  '/usr/share/datasets/fashion-mnist';

/** `name.gz` or `name` in dir, gunzipped. */
function read(name) {
  for (const file of [join(dir, `${name}.gz`), join(dir, name)]) {
    if (existsSync(file)) {
      const bytes = readFileSync(file);
      return file.endsWith('.gz') ? gunzipSync(bytes) : bytes;
    }
  }
  return null;
}

/** An uncompressed IDX file of unsigned bytes. */
function idx(dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => {
    header.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([header, Buffer.from(data)]);
}

/** Pixels and labels of an IDX image/label pair (28×28 ubyte images). */
function split(images, labels) {
  const n = labels.readUInt32BE(4);
  return { n, pixels: images.subarray(16), labels: labels.subarray(8) };
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const files = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];
const raw = files.map(read);
if (raw.some((b) => b === null)) {
  const info = {
    available: false,
    reason: `Fashion-MNIST not found in ${dir} (install Debian's dataset-fashion-mnist, or set FRACBITS_DATA_DIR) when the page was built`,
  };
  writeFileSync(join(out, 'info.json'), `${JSON.stringify(info, null, 2)}\n`);
  console.warn(`make-data: ${info.reason}; the page will use synthetic data`);
} else {
  const train = split(raw[0], raw[1]);
  const test = split(raw[2], raw[3]);
  // The first PER_CLASS images of every class, in file order (deterministic, class-balanced).
  const picked = [];
  const counts = new Array(10).fill(0);
  for (let i = 0; i < train.n && picked.length < 10 * PER_CLASS; i++) {
    const c = train.labels[i];
    if (counts[c] < PER_CLASS) {
      counts[c]++;
      picked.push(i);
    }
  }
  const trainPixels = new Uint8Array(picked.length * 784);
  picked.forEach((i, k) => {
    trainPixels.set(train.pixels.subarray(i * 784, (i + 1) * 784), k * 784);
  });
  const trainLabels = Uint8Array.from(picked, (i) => train.labels[i]);
  const testCount = Math.min(TEST, test.n);
  writeFileSync(join(out, files[0]), idx([picked.length, 28, 28], trainPixels));
  writeFileSync(join(out, files[1]), idx([picked.length], trainLabels));
  writeFileSync(join(out, files[2]), idx([testCount, 28, 28], test.pixels.subarray(0, testCount * 784)));
  writeFileSync(join(out, files[3]), idx([testCount], test.labels.subarray(0, testCount)));
  const info = {
    available: true,
    source: `Fashion-MNIST from ${dir}`,
    train: picked.length,
    test: testCount,
    selection: `the first ${PER_CLASS} training images of each class, the first ${testCount} test images`,
  };
  writeFileSync(join(out, 'info.json'), `${JSON.stringify(info, null, 2)}\n`);
  console.log(`make-data: ${picked.length} training and ${testCount} test images from ${dir} → ${out}`);
}
