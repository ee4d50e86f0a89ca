/** Runs ONNX bytes in onnxruntime-node (the real runtime the exported files are checked against). */
import ort from 'onnxruntime-node';

export interface OrtResult {
  readonly dims: number[];
  readonly data: Float32Array;
}

type SessionOptions = ort.InferenceSession.SessionOptions;

function open(model: Uint8Array | string, options: SessionOptions): Promise<ort.InferenceSession> {
  return typeof model === 'string'
    ? ort.InferenceSession.create(model, options)
    : ort.InferenceSession.create(model, options);
}

/** Runs `model` (bytes or a file path) on float32 inputs; returns the float outputs by name. */
export async function runOrt(
  model: Uint8Array | string,
  inputs: Record<string, { data: Float32Array; dims: readonly number[] }>,
  options: SessionOptions = {},
): Promise<Record<string, OrtResult>> {
  const session = await open(model, options);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, { data, dims }] of Object.entries(inputs)) {
      feeds[name] = new ort.Tensor('float32', data, [...dims]);
    }
    const results = await session.run(feeds);
    const out: Record<string, OrtResult> = {};
    for (const [name, t] of Object.entries(results)) {
      out[name] = { dims: [...t.dims], data: Float32Array.from(t.data as Float32Array) };
    }
    return out;
  } finally {
    await session.release();
  }
}

/** The single output of a one-input model. */
export async function runOrtSingle(
  model: Uint8Array | string,
  input: Float32Array,
  dims: readonly number[],
  options: SessionOptions = {},
): Promise<OrtResult> {
  const session = await open(model, options);
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [...dims]) };
    const results = await session.run(feeds);
    const t = results[session.outputNames[0]];
    return { dims: [...t.dims], data: Float32Array.from(t.data as Float32Array) };
  } finally {
    await session.release();
  }
}
