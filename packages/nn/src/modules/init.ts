/** Parameter initialisation as PyTorch's defaults, drawn from a seeded Rng. */
import { fans, kaimingUniform, type Pair, Rng, type Shape, type Tensor, tensor } from '@fracbits/tensor';

let fallback: Rng | null = null;

/**
 * The generator used when a layer is built without `rng`: one process-wide stream seeded with 0,
 * so a model built twice in a fresh process gets the same weights. Pass `rng` for real control.
 */
export function defaultRng(): Rng {
  fallback ??= new Rng(0);
  return fallback;
}

/** PyTorch's conv/linear weight default: kaiming_uniform(a=√5), i.e. U(±1/√fan_in). */
export function initWeight(shape: Shape, rng: Rng): Tensor {
  return tensor(kaimingUniform(rng, shape), shape);
}

/** PyTorch's conv/linear bias default: U(±1/√fan_in) with the weight's fan_in. */
export function initBias(size: number, weightShape: Shape, rng: Rng): Tensor {
  const { fanIn } = fans(weightShape);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return tensor(
    Float32Array.from({ length: size }, () => rng.uniformRange(-bound, bound)),
    [size],
  );
}

/** Normalises `3` or `[3, 5]` to a pair; checks every entry against `min`. */
export function pair(value: Pair, what: string, min: number): [number, number] {
  const p: [number, number] = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  if (!p.every((v) => Number.isInteger(v) && v >= min)) {
    throw new Error(`${what} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(value)}`);
  }
  return p;
}

export function positiveInt(value: number, what: string): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${what} must be a positive integer, got ${value}`);
  return value;
}
