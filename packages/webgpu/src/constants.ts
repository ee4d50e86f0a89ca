/**
 * WebGPU flag values from the spec. Spelled out here so that the backend needs no `GPUBufferUsage`
 * & co. globals: Dawn for Node only provides them through `globals`, which we do not install on
 * `globalThis` on the caller's behalf.
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const ShaderStage = { COMPUTE: 0x4 } as const;

export const MapMode = { READ: 0x0001 } as const;

/** Dynamic uniform offsets must be multiples of this (the spec's minimum is ≤ 256 everywhere). */
export const UNIFORM_ALIGNMENT = 256;
