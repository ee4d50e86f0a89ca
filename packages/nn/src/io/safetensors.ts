/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N
 * bytes of JSON header `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?:
 * { string: string } }`, then the raw little-endian data; offsets are relative to the end of the
 * header. Readers reject anything inconsistent with a clear error instead of reading garbage.
 */

export type SafeDType = 'float32' | 'int32' | 'uint32';

export interface SafeTensor {
  readonly dtype: SafeDType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array | Uint32Array;
}

export interface SafetensorsFile {
  readonly tensors: Map<string, SafeTensor>;
  readonly metadata: Record<string, string>;
}

const CODES: Record<SafeDType, string> = { float32: 'F32', int32: 'I32', uint32: 'U32' };
const FROM_CODE: Record<string, SafeDType> = { F32: 'float32', I32: 'int32', U32: 'uint32' };
const ARRAYS = { float32: Float32Array, int32: Int32Array, uint32: Uint32Array } as const;
/** The reference implementation's limit; a larger value means a corrupted length field. */
const MAX_HEADER = 100_000_000;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Serialises tensors (in the given order) and string metadata; the header is space-padded to 8 bytes. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafeTensor> | Readonly<Record<string, SafeTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const entries: [string, SafeTensor][] =
    tensors instanceof Map ? [...tensors] : Object.entries(tensors as Readonly<Record<string, SafeTensor>>);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string')
        throw new Error(`encodeSafetensors: metadata "${k}" must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__')
      throw new Error('encodeSafetensors: "__metadata__" is reserved and cannot name a tensor');
    if (!CODES[t.dtype]) throw new Error(`encodeSafetensors: "${name}" has unsupported dtype ${t.dtype}`);
    if (t.data.length !== sizeOf(t.shape)) {
      throw new Error(
        `encodeSafetensors: "${name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`,
      );
    }
    const bytes = t.data.length * 4;
    header[name] = { dtype: CODES[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const [, t] of entries) {
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    } else {
      for (let i = 0; i < t.data.length; i++) {
        if (t.dtype === 'float32') view.setFloat32(pos + 4 * i, t.data[i], true);
        else view.setUint32(pos + 4 * i, t.data[i] >>> 0, true);
      }
    }
    pos += t.data.byteLength;
  }
  return out;
}

function fail(message: string): never {
  throw new Error(`decodeSafetensors: ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses and validates a safetensors file (sizes, offsets, dtypes, coverage). */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8)
    fail(`${bytes.length} bytes is too short for the 8-byte header length (truncated file?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) fail(`header length ${n} is implausible (corrupted file?)`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.length) {
    fail(`header of ${headerLength} bytes does not fit in a file of ${bytes.length} bytes (truncated file?)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafeTensor>();
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(entry)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') fail(`__metadata__ "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (!isRecord(entry)) fail(`entry "${name}" is not an object`);
    const dtype = FROM_CODE[String(entry.dtype)];
    if (!dtype)
      fail(`"${name}" has dtype ${String(entry.dtype)}; supported: ${Object.keys(FROM_CODE).join(', ')}`);
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`"${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offsets = entry.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(`"${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const expected = sizeOf(shape) * 4;
    if (end < begin || end - begin !== expected) {
      fail(
        `"${name}" [${shape.join(', ')}] ${CODES[dtype]} needs ${expected} bytes, data_offsets give ${end - begin}`,
      );
    }
    if (end > dataLength)
      fail(`"${name}" ends at byte ${end} of a ${dataLength}-byte data section (truncated file?)`);
    ranges.push([begin, end, name]);
    const raw = bytes.slice(dataStart + begin, dataStart + end);
    let data: SafeTensor['data'];
    if (LITTLE_ENDIAN) {
      data = new ARRAYS[dtype](raw.buffer, 0, expected / 4);
    } else {
      const dv = new DataView(raw.buffer);
      data = new ARRAYS[dtype](expected / 4);
      for (let i = 0; i < data.length; i++)
        data[i] = dtype === 'float32' ? dv.getFloat32(4 * i, true) : dv.getUint32(4 * i, true);
    }
    tensors.set(name, { dtype, shape, data });
  }
  // The data must be covered exactly once: no overlaps, holes or trailing bytes.
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cursor = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== cursor)
      fail(`"${name}" starts at byte ${begin}, expected ${cursor} (overlapping or missing data)`);
    cursor = end;
  }
  if (cursor !== dataLength)
    fail(`the data section has ${dataLength - cursor} bytes not owned by any tensor`);
  return { tensors, metadata };
}
