/**
 * The IDX format of (Fashion-)MNIST: a 4-byte magic (0, 0, type code, rank), `rank` big-endian
 * uint32 dimensions, then the values big-endian. Gzip-compressed files must be decompressed first
 * (`gunzip` here, or the ./node loaders).
 */
import { createDataset, type ImageDataset } from './dataset.js';
import { isGzip } from './gzip.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export interface IdxArray {
  readonly type: IdxType;
  readonly shape: number[];
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, [IdxType, number]> = {
  8: ['uint8', 1],
  9: ['int8', 1],
  11: ['int16', 2],
  12: ['int32', 4],
  13: ['float32', 4],
  14: ['float64', 8],
};

export function parseIdx(bytes: Uint8Array, what = 'IDX file'): IdxArray {
  if (isGzip(bytes)) throw new Error(`parseIdx: ${what} is gzip-compressed; decompress it first (gunzip)`);
  if (bytes.length < 4)
    throw new Error(`parseIdx: ${what} is ${bytes.length} bytes, too short for the 4-byte magic`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const typeCode = bytes[2];
  const rank = bytes[3];
  const type = TYPES[typeCode];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type || rank === 0) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
    throw new Error(
      `parseIdx: ${what} has a bad magic 0x${magic} (expected 0x0000TTRR: type 08–0e, rank ≥ 1)`,
    );
  }
  const header = 4 + 4 * rank;
  if (bytes.length < header)
    throw new Error(`parseIdx: ${what} is truncated inside its header (${bytes.length} < ${header} bytes)`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const [name, width] = type;
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = header + count * width;
  if (bytes.length !== expected) {
    throw new Error(
      `parseIdx: ${what} of ${name} [${shape.join(', ')}] should be ${expected} bytes, got ${bytes.length}${bytes.length < expected ? ' (truncated)' : ''}`,
    );
  }
  const body = header;
  let data: IdxArray['data'];
  switch (name) {
    case 'uint8':
      data = bytes.slice(body, expected);
      break;
    case 'int8':
      data = new Int8Array(bytes.slice(body, expected).buffer);
      break;
    case 'int16':
      data = Int16Array.from({ length: count }, (_, i) => view.getInt16(body + 2 * i, false));
      break;
    case 'int32':
      data = Int32Array.from({ length: count }, (_, i) => view.getInt32(body + 4 * i, false));
      break;
    case 'float32':
      data = Float32Array.from({ length: count }, (_, i) => view.getFloat32(body + 4 * i, false));
      break;
    case 'float64':
      data = Float64Array.from({ length: count }, (_, i) => view.getFloat64(body + 8 * i, false));
      break;
  }
  return { type: name, shape, data };
}

/** An IDX file as bytes (big-endian), e.g. to generate test fixtures. */
export function encodeIdx(array: { type: 'uint8'; shape: readonly number[]; data: Uint8Array }): Uint8Array {
  const header = 4 + 4 * array.shape.length;
  const out = new Uint8Array(header + array.data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = array.shape.length;
  array.shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  out.set(array.data, header);
  return out;
}

/**
 * A dataset from an IDX image file ([N, H, W] uint8) and an IDX label file ([N] uint8), both
 * already decompressed.
 */
export function idxDataset(imageBytes: Uint8Array, labelBytes: Uint8Array, numClasses = 10): ImageDataset {
  const images = parseIdx(imageBytes, 'image file');
  const labels = parseIdx(labelBytes, 'label file');
  if (images.type !== 'uint8' || images.shape.length !== 3) {
    throw new Error(
      `idxDataset: images must be uint8 [N, H, W], got ${images.type} [${images.shape.join(', ')}]`,
    );
  }
  if (labels.type !== 'uint8' || labels.shape.length !== 1) {
    throw new Error(`idxDataset: labels must be uint8 [N], got ${labels.type} [${labels.shape.join(', ')}]`);
  }
  if (labels.shape[0] !== images.shape[0]) {
    throw new Error(`idxDataset: ${images.shape[0]} images but ${labels.shape[0]} labels`);
  }
  const [, h, w] = images.shape;
  return createDataset({
    images: images.data as Uint8Array,
    labels: labels.data,
    shape: [1, h, w],
    numClasses,
  });
}
