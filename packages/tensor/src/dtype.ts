/** Element types a tensor can hold. float32 for values, int32 for labels and indices. */
export type DType = 'float32' | 'int32' | 'uint32';

export type TypedArray = Float32Array | Int32Array | Uint32Array;

export const BYTES_PER_ELEMENT = 4;

export function typedArrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'uint32':
      return new Uint32Array(size);
  }
}

export function dtypeOf(array: TypedArray): DType {
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Int32Array) return 'int32';
  return 'uint32';
}

/** Converts any numeric array to the typed array of `dtype` (copying only when needed). */
export function toTypedArray(values: ArrayLike<number>, dtype: DType): TypedArray {
  if (dtype === 'float32' && values instanceof Float32Array) return values;
  if (dtype === 'int32' && values instanceof Int32Array) return values;
  if (dtype === 'uint32' && values instanceof Uint32Array) return values;
  const out = typedArrayFor(dtype, values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}
