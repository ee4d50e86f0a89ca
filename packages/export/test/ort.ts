/** Runs ONNX bytes in onnxruntime-node (the real runtime the exported files are checked against). */
import ort from 'onnxruntime-node';

export interface OrtResult {
  readonly dims: number[];
  readonly data: Float32Array;
}

/** Runs `bytes` (or a model file path) on float32 inputs; returns the float outputs by name. */
export async function runOrt(
  model: Uint8Array | string,
  inputs: Record<string, { data: Float32Array; dims: readonly number[] }>,
): Promise<Record<string, OrtResult>> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model)
      : await ort.InferenceSession.create(model);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, { data, dims }] of Object.entries(inputs))
      feeds[name] = new ort.Tensor('float32', data, [...dims]);
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
): Promise<OrtResult> {
  const session =
    typeof model === 'string'
      ? await ort.InferenceSession.create(model)
      : await ort.InferenceSession.create(model);
  const inputName = session.inputNames[0];
  await session.release();
  const results = await runOrt(model, { [inputName]: { data: input, dims } });
  return Object.values(results)[0];
}
