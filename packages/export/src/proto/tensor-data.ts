/**
 * TensorProto contents ⇄ JavaScript arrays. Writers always use raw_data (fixed-width little
 * endian; int4/uint4 two per byte, first element in the low nibble, as onnx.proto specifies);
 * readers accept raw_data, the typed fields and external data.
 */
import { DataType, dataTypeName, type StringStringEntryProto, type TensorProto } from './types.js';

/** Reads the bytes of an external data file named by `location` (relative to the model file). */
export type ExternalDataReader = (location: string) => Uint8Array;

/** Element values to write, with their ONNX type. */
export interface TensorData {
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly values: ArrayLike<number>;
}

/** Signed/unsigned 4-bit and 8-bit integer ranges, for packing checks and storage choices. */
export const INTEGER_RANGES: Readonly<Record<number, readonly [number, number]>> = {
  [DataType.INT4]: [-8, 7],
  [DataType.UINT4]: [0, 15],
  [DataType.INT8]: [-128, 127],
  [DataType.UINT8]: [0, 255],
  [DataType.INT16]: [-32768, 32767],
  [DataType.UINT16]: [0, 65535],
  [DataType.INT32]: [-2147483648, 2147483647],
};

function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function checkInteger(what: string, value: number, dataType: number): void {
  const range = INTEGER_RANGES[dataType];
  if (!Number.isInteger(value) || (range && (value < range[0] || value > range[1]))) {
    const bounds = range ? ` in [${range[0]}, ${range[1]}]` : '';
    throw new Error(`${what}: ${dataTypeName(dataType)} values must be integers${bounds}, got ${value}`);
  }
}

/** Packs 4-bit integers two per byte, first element in the low nibble (odd counts pad a zero). */
export function packInt4(values: ArrayLike<number>, signed: boolean): Uint8Array {
  const dataType = signed ? DataType.INT4 : DataType.UINT4;
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    checkInteger('packInt4', values[i], dataType);
    const nibble = values[i] & 0xf;
    out[i >> 1] |= i & 1 ? nibble << 4 : nibble;
  }
  return out;
}

/** Unpacks `n` 4-bit integers (sign-extended when `signed`). */
export function unpackInt4(bytes: Uint8Array, n: number, signed: boolean): number[] {
  if (bytes.length < Math.ceil(n / 2)) {
    throw new Error(`unpackInt4: ${n} values need ${Math.ceil(n / 2)} bytes, got ${bytes.length}`);
  }
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const nibble = (bytes[i >> 1] >> (i & 1 ? 4 : 0)) & 0xf;
    out[i] = signed && nibble >= 8 ? nibble - 16 : nibble;
  }
  return out;
}

/** Bytes per element in raw_data, or 0.5 for the packed 4-bit types. */
export function elementBytes(dataType: number): number {
  switch (dataType) {
    case DataType.INT4:
    case DataType.UINT4:
      return 0.5;
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.BOOL:
      return 1;
    case DataType.INT16:
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return 2;
    case DataType.FLOAT:
    case DataType.INT32:
    case DataType.UINT32:
      return 4;
    case DataType.DOUBLE:
    case DataType.INT64:
    case DataType.UINT64:
      return 8;
    default:
      return 0;
  }
}

/** raw_data bytes of `n` elements (4-bit types round up to whole bytes). */
export function rawByteLength(dataType: number, n: number): number {
  return Math.ceil(n * elementBytes(dataType));
}

/** Encodes values as raw_data bytes. */
export function encodeRaw(what: string, dataType: number, values: ArrayLike<number>): Uint8Array {
  if (dataType === DataType.INT4 || dataType === DataType.UINT4) {
    try {
      return packInt4(values, dataType === DataType.INT4);
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
  }
  const size = elementBytes(dataType);
  if (size === 0) throw new Error(`${what}: cannot write ${dataTypeName(dataType)} tensors`);
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    switch (dataType) {
      case DataType.FLOAT:
        view.setFloat32(i * 4, v, true);
        break;
      case DataType.DOUBLE:
        view.setFloat64(i * 8, v, true);
        break;
      case DataType.INT64:
        checkInteger(what, v, dataType);
        view.setBigInt64(i * 8, BigInt(v), true);
        break;
      case DataType.INT32:
        checkInteger(what, v, dataType);
        view.setInt32(i * 4, v, true);
        break;
      case DataType.INT16:
        checkInteger(what, v, dataType);
        view.setInt16(i * 2, v, true);
        break;
      case DataType.UINT16:
        checkInteger(what, v, dataType);
        view.setUint16(i * 2, v, true);
        break;
      case DataType.INT8:
        checkInteger(what, v, dataType);
        view.setInt8(i, v);
        break;
      case DataType.UINT8:
        checkInteger(what, v, dataType);
        view.setUint8(i, v);
        break;
      default:
        throw new Error(`${what}: cannot write ${dataTypeName(dataType)} tensors`);
    }
  }
  return out;
}

/** A TensorProto (an initializer or a Constant value) holding `data` in raw_data. */
export function makeTensor(name: string, data: TensorData): TensorProto {
  const n = count(data.dims);
  if (data.values.length !== n) {
    throw new Error(
      `makeTensor("${name}"): dims [${data.dims.join(', ')}] hold ${n} values, got ${data.values.length}`,
    );
  }
  return {
    name,
    dims: [...data.dims],
    data_type: data.dataType,
    raw_data: encodeRaw(`makeTensor("${name}")`, data.dataType, data.values),
  };
}

function entry(entries: readonly StringStringEntryProto[] | undefined, key: string): string | undefined {
  return entries?.find((e) => e.key === key)?.value;
}

function nonNegative(what: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${what}: expected a byte count, got "${text}"`);
  return n;
}

/** The element bytes of an externally stored tensor. */
function externalBytes(what: string, t: TensorProto, read: ExternalDataReader | undefined): Uint8Array {
  const location = entry(t.external_data, 'location');
  if (!location) throw new Error(`${what}: external data without a "location" entry`);
  if (!read) {
    throw new Error(
      `${what}: data is stored in the external file "${location}"; pass externalData (or use importOnnxFile / baseDir from '@fracbits/export/node')`,
    );
  }
  const file = read(location);
  const offset = nonNegative(`${what}: external data offset`, entry(t.external_data, 'offset')) ?? 0;
  const length =
    nonNegative(`${what}: external data length`, entry(t.external_data, 'length')) ?? file.length - offset;
  if (offset + length > file.length) {
    throw new Error(
      `${what}: external file "${location}" has ${file.length} bytes, the tensor needs bytes ${offset}..${offset + length}`,
    );
  }
  return file.subarray(offset, offset + length);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Decodes raw little-endian element bytes. */
function decodeRaw(what: string, dataType: number, bytes: Uint8Array, n: number): ArrayLike<number> {
  const expected = rawByteLength(dataType, n);
  if (bytes.length !== expected) {
    throw new Error(
      `${what}: ${n} ${dataTypeName(dataType)} values need ${expected} bytes, got ${bytes.length}`,
    );
  }
  if (dataType === DataType.INT4 || dataType === DataType.UINT4) {
    return unpackInt4(bytes, n, dataType === DataType.INT4);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = rawReader(view, dataType);
  const out = dataType === DataType.FLOAT ? new Float32Array(n) : new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = reader(i);
  return out;
}

function rawReader(view: DataView, dataType: number): (i: number) => number {
  switch (dataType) {
    case DataType.FLOAT:
      return (i) => view.getFloat32(i * 4, true);
    case DataType.DOUBLE:
      return (i) => view.getFloat64(i * 8, true);
    case DataType.FLOAT16:
      return (i) => halfToFloat(view.getUint16(i * 2, true));
    case DataType.INT64:
      return (i) => Number(view.getBigInt64(i * 8, true));
    case DataType.UINT64:
      return (i) => Number(view.getBigUint64(i * 8, true));
    case DataType.INT32:
      return (i) => view.getInt32(i * 4, true);
    case DataType.UINT32:
      return (i) => view.getUint32(i * 4, true);
    case DataType.INT16:
      return (i) => view.getInt16(i * 2, true);
    case DataType.UINT16:
      return (i) => view.getUint16(i * 2, true);
    case DataType.INT8:
      return (i) => view.getInt8(i);
    case DataType.UINT8:
    case DataType.BOOL:
      return (i) => view.getUint8(i);
    default:
      throw new Error(`cannot read ${dataTypeName(dataType)} tensors`);
  }
}

/** Values from the type-specific repeated fields (no raw_data). */
function typedFieldValues(what: string, t: TensorProto, dataType: number, n: number): ArrayLike<number> {
  let values: ArrayLike<number> | undefined;
  switch (dataType) {
    case DataType.FLOAT:
      values = t.float_data;
      break;
    case DataType.DOUBLE:
      values = t.double_data;
      break;
    case DataType.INT64:
      values = t.int64_data;
      break;
    case DataType.UINT32:
    case DataType.UINT64:
      values = t.uint64_data;
      break;
    case DataType.INT4:
    case DataType.UINT4: {
      // Packed two per int32 entry, like raw_data bytes.
      const bytes = Uint8Array.from(t.int32_data ?? [], (v) => v & 0xff);
      return decodeRaw(what, dataType, bytes, n);
    }
    case DataType.FLOAT16:
      return Array.from(t.int32_data ?? [], (v) => halfToFloat(v));
    case DataType.INT32:
    case DataType.INT16:
    case DataType.UINT16:
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.BOOL:
      values = t.int32_data;
      break;
    default:
      throw new Error(`${what}: cannot read ${dataTypeName(dataType)} tensors`);
  }
  return values ?? [];
}

export interface ReadTensorOptions {
  /** Resolves external data files; without it, an externally stored tensor is an error. */
  readonly externalData?: ExternalDataReader;
}

/** A decoded tensor: floats as a Float32Array, everything else as a number array. */
export interface DecodedTensor {
  readonly name: string;
  readonly dims: number[];
  readonly dataType: number;
  readonly values: Float32Array | number[];
}

/** Decodes a TensorProto's values, checking that their count matches the dims. */
export function readTensor(t: TensorProto, options: ReadTensorOptions = {}): DecodedTensor {
  const name = t.name ?? '';
  const what = `tensor "${name}"`;
  const dims = t.dims ?? [];
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`${what}: invalid dims [${dims.join(', ')}]`);
  }
  const dataType = t.data_type ?? DataType.UNDEFINED;
  if (dataType === DataType.UNDEFINED) throw new Error(`${what}: data_type is not set`);
  const n = count(dims);
  let values: ArrayLike<number>;
  try {
    if (t.data_location === 1) {
      values = decodeRaw(what, dataType, externalBytes(what, t, options.externalData), n);
    } else if (t.raw_data && t.raw_data.length > 0) {
      values = decodeRaw(what, dataType, t.raw_data, n);
    } else {
      values = typedFieldValues(what, t, dataType, n);
    }
  } catch (e) {
    const message = (e as Error).message;
    throw new Error(message.startsWith(what) ? message : `${what}: ${message}`);
  }
  if (values.length !== n) {
    throw new Error(`${what}: dims [${dims.join(', ')}] need ${n} values, the tensor holds ${values.length}`);
  }
  const isFloat =
    dataType === DataType.FLOAT || dataType === DataType.DOUBLE || dataType === DataType.FLOAT16;
  return {
    name,
    dims: [...dims],
    dataType,
    values: isFloat ? Float32Array.from(values) : Array.from(values),
  };
}
