/**
 * Reads a `.fbpk` file, validating everything before use: header, sizes, the manifest's schema
 * and shapes, every blob's bounds, alignment, exact size and overlap, the checksum, and the
 * float values. Any problem throws an Error starting with "readPackedModel:"; nothing is read
 * outside the bytes given.
 */
import { packedRowLayout } from '@fracbits/kernels';
import { BLOB_ALIGN, dataStart, HEADER_BYTES, MAGIC } from './container.js';
import { crc32 } from './crc32.js';
import {
  type BatchNormLayer,
  type BlobRef,
  channelsOf,
  ManifestError,
  PACKED_VERSION,
  type PackedManifest,
  rowLength,
  validateManifest,
  type WeightedLayer,
} from './manifest.js';

/** A conv/linear layer's decoded blobs. */
export interface WeightData {
  /** Taps per output channel (packed row length). */
  readonly k: number;
  /** Packed rows, as in the file: one continuous bitstream (rows not padded). */
  readonly words: Uint32Array;
  /** [start bit, bits] per output channel (the kernels' `rowInfo`). */
  readonly rowInfo: Uint32Array;
  readonly scales: Float32Array;
  readonly bias: Float32Array | null;
}

export interface BatchNormData {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
}

/** A validated packed model, ready for the runtimes. */
export interface PackedModel {
  readonly manifest: PackedManifest;
  /** Decoded blobs of conv/linear layers, by layer name. */
  readonly weights: ReadonlyMap<string, WeightData>;
  /** Decoded parameters of bn layers, by layer name. */
  readonly batchNorms: ReadonlyMap<string, BatchNormData>;
  /** Size of the file in bytes. */
  readonly byteLength: number;
}

/** Thrown by `readPackedModel` for any invalid, corrupted or truncated file. */
export class PackedFormatError extends Error {
  constructor(message: string) {
    super(`readPackedModel: ${message}`);
    this.name = 'PackedFormatError';
  }
}

const ReadError = PackedFormatError;

function header(bytes: Uint8Array): { manifestBytes: number; checksum: number } {
  if (bytes.length < HEADER_BYTES) {
    throw new ReadError(
      `file is ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header (truncated?)`,
    );
  }
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MAGIC)
    throw new ReadError(`not a packed model: magic is ${JSON.stringify(magic)}, expected "${MAGIC}"`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== PACKED_VERSION) {
    throw new ReadError(
      `unsupported format version ${version} (this reader reads version ${PACKED_VERSION})`,
    );
  }
  const manifestBytes = view.getUint32(8, true);
  if (HEADER_BYTES + manifestBytes > bytes.length) {
    throw new ReadError(
      `manifest of ${manifestBytes} bytes does not fit in the ${bytes.length}-byte file (truncated, or a corrupted length)`,
    );
  }
  return { manifestBytes, checksum: view.getUint32(12, true) };
}

function parseManifest(bytes: Uint8Array, manifestBytes: number): PackedManifest {
  let json: unknown;
  try {
    json = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(
        bytes.subarray(HEADER_BYTES, HEADER_BYTES + manifestBytes),
      ),
    );
  } catch (err) {
    throw new ReadError(`the manifest is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  try {
    return validateManifest(json);
  } catch (err) {
    if (err instanceof ManifestError) throw new ReadError(`invalid manifest: ${err.message}`);
    throw err;
  }
}

interface Claim {
  readonly ref: BlobRef;
  readonly what: string;
}

/** Checks every blob: aligned, exact size, inside the file, no two overlapping. */
function checkBlobs(
  claims: readonly (Claim & { readonly expected: number })[],
  start: number,
  fileBytes: number,
): void {
  for (const { ref, what, expected } of claims) {
    if (ref.offset % BLOB_ALIGN !== 0)
      throw new ReadError(`${what}: offset ${ref.offset} is not a multiple of ${BLOB_ALIGN}`);
    if (ref.length !== expected)
      throw new ReadError(`${what}: expected ${expected} bytes, the manifest says ${ref.length}`);
    if (start + ref.offset + ref.length > fileBytes) {
      throw new ReadError(
        `${what}: bytes [${start + ref.offset}, ${start + ref.offset + ref.length}) lie past the end of the ${fileBytes}-byte file (truncated?)`,
      );
    }
  }
  const sorted = [...claims].filter((c) => c.ref.length > 0).sort((a, b) => a.ref.offset - b.ref.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.ref.offset + prev.ref.length > sorted[i].ref.offset) {
      throw new ReadError(`${sorted[i].what} overlaps ${prev.what}`);
    }
  }
}

/** A copy of a blob as a typed array (copies also fix the alignment of the caller's bytes). */
function blobArray<T extends Uint32Array | Float32Array>(
  bytes: Uint8Array,
  start: number,
  ref: BlobRef,
  Ctor: new (buffer: ArrayBuffer) => T,
): T {
  const copy = bytes.slice(start + ref.offset, start + ref.offset + ref.length);
  return new Ctor(copy.buffer);
}

function finite(values: Float32Array, what: string): Float32Array {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ReadError(`${what}[${bad}] is ${values[bad]}, expected a finite number`);
  return values;
}

/** Reads and validates a packed model file. */
export function readPackedModel(file: Uint8Array | ArrayBuffer): PackedModel {
  const bytes = file instanceof Uint8Array ? file : new Uint8Array(file);
  const { manifestBytes, checksum } = header(bytes);
  const manifest = parseManifest(bytes, manifestBytes);
  const start = dataStart(manifestBytes);
  const weighted = manifest.layers.filter((l): l is WeightedLayer => l.op === 'conv' || l.op === 'linear');
  const norms = manifest.layers.filter((l): l is BatchNormLayer => l.op === 'bn');
  const claims: (Claim & { expected: number })[] = [];
  for (const l of weighted) {
    const channels = channelsOf(l);
    claims.push({
      ref: l.weights,
      what: `layer "${l.name}" weights`,
      expected: 4 * packedRowLayout(rowLength(l), l.weightBits, 1).words,
    });
    claims.push({ ref: l.scales, what: `layer "${l.name}" scales`, expected: 4 * channels });
    if (l.bias) claims.push({ ref: l.bias, what: `layer "${l.name}" bias`, expected: 4 * channels });
  }
  for (const l of norms)
    claims.push({ ref: l.params, what: `layer "${l.name}" params`, expected: 16 * l.inShape[0] });
  checkBlobs(claims, start, bytes.length);
  const actual = crc32(bytes.subarray(HEADER_BYTES));
  if (actual !== checksum) {
    throw new ReadError(
      `checksum mismatch (header 0x${checksum.toString(16)}, contents 0x${actual.toString(16)}): the file is corrupted or truncated`,
    );
  }
  const weights = new Map<string, WeightData>();
  for (const l of weighted) {
    const k = rowLength(l);
    weights.set(l.name, {
      k,
      words: blobArray(bytes, start, l.weights, Uint32Array),
      rowInfo: packedRowLayout(k, l.weightBits, 1).rowInfo,
      scales: finite(blobArray(bytes, start, l.scales, Float32Array), `layer "${l.name}" scales`),
      bias: l.bias ? finite(blobArray(bytes, start, l.bias, Float32Array), `layer "${l.name}" bias`) : null,
    });
  }
  const batchNorms = new Map<string, BatchNormData>();
  for (const l of norms) {
    const c = l.inShape[0];
    const p = finite(blobArray(bytes, start, l.params, Float32Array), `layer "${l.name}" params`);
    const variance = p.subarray(3 * c, 4 * c);
    const negative = variance.findIndex((v) => v < 0);
    if (negative >= 0) throw new ReadError(`layer "${l.name}" variance[${negative}] is negative`);
    batchNorms.set(l.name, {
      gamma: p.subarray(0, c),
      beta: p.subarray(c, 2 * c),
      mean: p.subarray(2 * c, 3 * c),
      variance,
    });
  }
  return { manifest, weights, batchNorms, byteLength: bytes.length };
}
