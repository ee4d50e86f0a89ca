/**
 * Channel orders. The packed format has no op that moves channels, so a parameter-free shortcut
 * that zero-pads channels (ResNet option A) is written as a depthwise 1×1 conv whose output holds
 * the channels in another order. Instead of undoing that, the exporter carries the order along:
 * per-channel ops (ReLU, BN, pooling) keep it, a conv/linear layer reads its input in that order
 * (its weight taps are permuted to match) and may write its output in a requested order (its rows
 * are permuted), so both operands of a residual add line up. Permuting taps and rows is exact.
 */

/** `order[p]` = the engine's channel (or feature) stored at position p. */
export type Order = Int32Array;

/** Whether two orders (null: the engine's own) are the same. */
export function sameOrder(a: Order | null, b: Order | null): boolean {
  if (a === null || b === null) return isIdentity(a ?? b);
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** True for null and for 0, 1, 2, … */
export function isIdentity(order: Order | null): boolean {
  return order === null || order.every((v, i) => v === i);
}

/** The engine index at stored position p. */
export function at(order: Order | null, p: number): number {
  return order === null ? p : order[p];
}

/**
 * The feature order of a flattened [C, ...rest] value whose channels are in `order`: stored
 * feature p·R + s is the engine's feature order[p]·R + s (R = elements per channel).
 */
export function flattenOrder(order: Order | null, shape: readonly number[]): Order | null {
  if (order === null || shape.length <= 1) return order;
  const rest = shape.slice(1).reduce((a, b) => a * b, 1);
  const out = new Int32Array(order.length * rest);
  for (let p = 0; p < order.length; p++)
    for (let s = 0; s < rest; s++) out[p * rest + s] = order[p] * rest + s;
  return out;
}

/** Rows of `data` ([rows, width] row-major) taken in `order`: out row r = data row order[r]. */
export function permuteRows<T extends Float32Array | Int32Array | Uint8Array>(
  data: T,
  width: number,
  order: Order | null,
): T {
  if (order === null) return data;
  const out = new (data.constructor as new (n: number) => T)(data.length);
  for (let r = 0; r < order.length; r++)
    out.set(data.subarray(order[r] * width, (order[r] + 1) * width), r * width);
  return out;
}
