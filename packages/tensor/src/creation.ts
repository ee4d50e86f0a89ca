import type { Backend } from './backend.js';
import { type DType, type TypedArray, toTypedArray } from './dtype.js';
import { getBackend } from './engine.js';
import { assertValidShape, formatShape, type Shape, sizeOf } from './shape.js';
import { Storage, Tensor } from './tensor.js';

export interface CreateOptions {
  dtype?: DType;
  backend?: Backend;
  requiresGrad?: boolean;
  name?: string;
}

/** Allocates an uninitialised tensor (contents unspecified) — for op outputs. */
export function empty(shape: Shape, dtype: DType = 'float32', backend: Backend = getBackend()): Tensor {
  assertValidShape(shape, 'empty');
  return new Tensor(new Storage(backend.allocate(dtype, Math.max(1, sizeOf(shape)))), shape, dtype);
}

/** A tensor holding `values` (row-major) with the given shape (default: 1-D). */
export function tensor(
  values: ArrayLike<number> | TypedArray,
  shape?: Shape,
  options: CreateOptions = {},
): Tensor {
  const dtype =
    options.dtype ??
    (values instanceof Int32Array ? 'int32' : values instanceof Uint32Array ? 'uint32' : 'float32');
  const s = shape ?? [values.length];
  assertValidShape(s, 'tensor');
  if (sizeOf(s) !== values.length) {
    throw new Error(`tensor: ${values.length} values do not fill shape ${formatShape(s)}`);
  }
  const t = empty(s, dtype, options.backend);
  if (values.length > 0) t.backend.write(t.buffer, toTypedArray(values, dtype));
  if (options.requiresGrad) t.requiresGrad = true;
  if (options.name) t.name = options.name;
  return t;
}

export function full(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  const dtype = options.dtype ?? 'float32';
  const data = toTypedArray([], dtype).constructor as new (n: number) => TypedArray;
  const values = new data(sizeOf(shape)).fill(value);
  return tensor(values, shape, { ...options, dtype });
}

export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function scalar(value: number, options: CreateOptions = {}): Tensor {
  return tensor([value], [], options);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype, backend: t.backend });
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, { dtype: t.dtype, backend: t.backend });
}

/** Copies a tensor to another backend (e.g. CPU → WebGPU); the result is a new leaf. */
export async function toBackend(t: Tensor, backend: Backend): Promise<Tensor> {
  return tensor(await t.data(), t.shape, { dtype: t.dtype, backend });
}
