/**
 * ModelProto ⇄ bytes through protobufjs and the embedded schema (schema/onnx.proto). The schema
 * is parsed once, on first use.
 */
import protobuf from 'protobufjs';
import { ONNX_PROTO_SOURCE } from '../generated/schema.js';
import type { ModelProto } from './types.js';

let modelType: protobuf.Type | null = null;

function modelProto(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO_SOURCE, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

/** Serialises a model to the ONNX file format. */
export function encodeModel(model: ModelProto): Uint8Array {
  const type = modelProto();
  const problem = type.verify(model);
  if (problem) throw new Error(`encodeModel: invalid ModelProto: ${problem}`);
  return type.encode(type.fromObject(model)).finish();
}

/**
 * Parses ONNX file bytes. Throws a clear error when the bytes are not protobuf; a protobuf that
 * is not a usable model (no graph, no opset) is left to the checker and the importer.
 */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array)) {
    throw new Error(`decodeModel: expected the model file as a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length === 0) throw new Error('decodeModel: the model file is empty');
  const type = modelProto();
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (e) {
    throw new Error(`decodeModel: not an ONNX model (${bytes.length} bytes): ${(e as Error).message}`);
  }
  return type.toObject(message, {
    longs: Number,
    enums: Number,
    arrays: true,
    defaults: false,
  }) as ModelProto;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}
