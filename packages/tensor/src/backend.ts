import type { Defines, KernelDescriptor, Params } from '@fracbits/kernels';
import type { DType, TypedArray } from './dtype.js';

/** A backend's handle to one buffer of elements. Opaque to everyone but its backend. */
export interface BackendBuffer {
  readonly backend: Backend;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
}

export interface MemoryStats {
  /** Buffers currently held by live tensors. */
  readonly liveBuffers: number;
  readonly liveBytes: number;
  /** Bytes kept in the backend's pool for reuse (0 where there is no pool). */
  readonly pooledBytes: number;
}

/**
 * What a backend provides: memory, transfers and the execution of kernel descriptors. Backends do
 * not know ops; an op's `forward` launches kernels, so packages and plugins add ops without
 * touching a backend.
 */
export interface Backend {
  /** 'cpu', 'webgpu', … */
  readonly name: string;
  /** Human-readable device description (for WebGPU: the adapter). */
  readonly description: string;
  allocate(dtype: DType, size: number): BackendBuffer;
  /** Returns a buffer's memory to the backend (its pool, where it has one). */
  release(buffer: BackendBuffer): void;
  /** Uploads `data` (of the buffer's dtype) into the buffer, starting at element 0. */
  write(buffer: BackendBuffer, data: TypedArray): void;
  /** Reads a buffer back; on WebGPU this flushes pending work first. */
  read(buffer: BackendBuffer): Promise<TypedArray>;
  /** Synchronous read, where the backend can do it (CPU); otherwise undefined. */
  readSync?(buffer: BackendBuffer): TypedArray;
  /** Copies `size` elements from `src` to `dst` (both of the same dtype). */
  copy(src: BackendBuffer, dst: BackendBuffer, size: number): void;
  /** Runs one kernel on buffers given in the kernel's binding order. */
  launch(
    kernel: KernelDescriptor,
    buffers: readonly BackendBuffer[],
    params: Params,
    defines?: Defines,
  ): void;
  /** Submits work recorded so far (a no-op where work runs eagerly). */
  flush(): void;
  /** Waits until all submitted work has finished. */
  sync(): Promise<void>;
  /** Whether an adapter feature (e.g. 'shader-f16') is available to kernels. */
  hasFeature(feature: string): boolean;
  memory(): MemoryStats;
  /** Frees every resource; the backend cannot be used afterwards. */
  destroy?(): void;
}
