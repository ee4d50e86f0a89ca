/** Top-1 accuracy of a packed model (CPU or GPU runtime) over a labelled set, in batches. */

export interface AccuracyResult {
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
}

/** Index of the largest of each row of `logits` [rows, classes] (first one on ties). */
export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  if (!Number.isInteger(classes) || classes < 1 || logits.length % classes !== 0) {
    throw new Error(`argmaxRows: ${logits.length} logits are not rows of ${classes} classes`);
  }
  const out = new Int32Array(logits.length / classes);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[r * classes + c] > logits[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

export interface EvaluateOptions {
  /** Samples per inference call (default 256). */
  readonly batchSize?: number;
  /** Called after every batch with the samples done so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Runs `infer` over `images` ([N, ...sample] float32) in batches and compares the top-1 class
 * with `labels` (N integers). `infer` is `model.infer` of a GPU model or `(b) => inferCpu(m, b)`.
 */
export async function evaluateAccuracy(
  infer: (batch: Float32Array) => Float32Array | Promise<Float32Array>,
  images: Float32Array,
  labels: ArrayLike<number>,
  options: EvaluateOptions = {},
): Promise<AccuracyResult> {
  const total = labels.length;
  if (total === 0) throw new Error('evaluateAccuracy: no labels');
  const per = images.length / total;
  if (!Number.isInteger(per) || per < 1) {
    throw new Error(`evaluateAccuracy: ${images.length} image floats do not split into ${total} samples`);
  }
  const size = options.batchSize ?? 256;
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`evaluateAccuracy: batchSize must be a positive integer, got ${size}`);
  let correct = 0;
  for (let start = 0; start < total; start += size) {
    const count = Math.min(size, total - start);
    const logits = await infer(images.subarray(start * per, (start + count) * per));
    const classes = logits.length / count;
    const predicted = argmaxRows(logits, classes);
    for (let i = 0; i < count; i++) if (predicted[i] === labels[start + i]) correct++;
    options.onProgress?.(start + count, total);
  }
  return { correct, total, accuracy: correct / total };
}
