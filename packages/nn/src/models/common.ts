import { formatShape, Rng } from '@fracbits/tensor';

export interface ModelOptions {
  /** Number of output classes (default: the model's dataset, e.g. 10 or 1000). */
  numClasses?: number;
  /** One sample's shape [C, H, W] (default: the model's published input). */
  inputSize?: readonly [number, number, number];
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
}

export interface ResolvedModelOptions {
  readonly numClasses: number;
  readonly inputSize: readonly [number, number, number];
  readonly rng: Rng;
}

/** Fills defaults and validates the options of a zoo model. */
export function resolveOptions(
  model: string,
  options: ModelOptions,
  defaults: { numClasses: number; inputSize: readonly [number, number, number] },
): ResolvedModelOptions {
  const numClasses = options.numClasses ?? defaults.numClasses;
  const inputSize = options.inputSize ?? defaults.inputSize;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`${model}: numClasses must be a positive integer, got ${numClasses}`);
  }
  if (inputSize.length !== 3 || !inputSize.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(
      `${model}: inputSize must be [C, H, W] of positive integers, got ${formatShape(inputSize)}`,
    );
  }
  return { numClasses, inputSize, rng: new Rng(options.seed ?? 0) };
}
