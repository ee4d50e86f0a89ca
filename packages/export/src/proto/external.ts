/**
 * Moving large initializers out of the model file into one external data file (ONNX's external
 * data convention: data_location = EXTERNAL and "location"/"offset"/"length" entries), as models
 * above protobuf's 2 GB limit need and as PyTorch writes big models.
 */
import type { ModelProto, TensorProto } from './types.js';

/** Offsets are aligned to 4096 bytes (the spec's recommendation, for memory mapping). */
const ALIGNMENT = 4096;

export interface ExternalDataSplit {
  /** The model with the moved tensors pointing at `location`. */
  readonly model: ModelProto;
  /** The bytes of the external data file. */
  readonly data: Uint8Array;
}

/**
 * Returns a copy of `model` whose initializers with at least `minBytes` of raw_data live in the
 * external file `location` (relative to the model file), with that file's bytes.
 */
export function splitExternalData(model: ModelProto, location: string, minBytes = 1024): ExternalDataSplit {
  if (!location || location.startsWith('/') || location.split(/[\\/]/).includes('..')) {
    throw new Error(
      `splitExternalData: location must be a relative path inside the model's folder, got "${location}"`,
    );
  }
  const chunks: { offset: number; bytes: Uint8Array }[] = [];
  let end = 0;
  const initializers = (model.graph?.initializer ?? []).map((t): TensorProto => {
    const raw = t.raw_data;
    if (!raw || raw.length < minBytes) return t;
    const offset = Math.ceil(end / ALIGNMENT) * ALIGNMENT;
    chunks.push({ offset, bytes: raw });
    end = offset + raw.length;
    const { raw_data: _moved, ...rest } = t;
    return {
      ...rest,
      data_location: 1,
      external_data: [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.length) },
      ],
    };
  });
  const data = new Uint8Array(end);
  for (const c of chunks) data.set(c.bytes, c.offset);
  return { model: { ...model, graph: { ...model.graph, initializer: initializers } }, data };
}
