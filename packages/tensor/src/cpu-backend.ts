import type { Defines, KernelDescriptor, Params } from '@fracbits/kernels';
import type { Backend, BackendBuffer, MemoryStats } from './backend.js';
import { BYTES_PER_ELEMENT, type DType, type TypedArray, typedArrayFor } from './dtype.js';

export interface CpuBuffer extends BackendBuffer {
  readonly data: TypedArray;
}

/**
 * The CPU reference backend: buffers are typed arrays and a kernel launch runs the kernel's CPU
 * twin. Everything is synchronous and exact, which makes it the reference for every other backend.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';
  readonly description = 'CPU reference backend (TypeScript)';
  private live = 0;
  private liveBytes = 0;

  allocate(dtype: DType, size: number): CpuBuffer {
    this.live++;
    this.liveBytes += size * BYTES_PER_ELEMENT;
    return { backend: this, dtype, size, data: typedArrayFor(dtype, size) };
  }

  release(buffer: BackendBuffer): void {
    this.live--;
    this.liveBytes -= buffer.size * BYTES_PER_ELEMENT;
  }

  write(buffer: BackendBuffer, data: TypedArray): void {
    const target = (buffer as CpuBuffer).data;
    if (data.length > target.length) {
      throw new Error(`cpu backend: writing ${data.length} elements into a buffer of ${target.length}`);
    }
    target.set(data);
  }

  read(buffer: BackendBuffer): Promise<TypedArray> {
    return Promise.resolve(this.readSync(buffer));
  }

  readSync(buffer: BackendBuffer): TypedArray {
    return (buffer as CpuBuffer).data.slice();
  }

  copy(src: BackendBuffer, dst: BackendBuffer, size: number): void {
    (dst as CpuBuffer).data.set((src as CpuBuffer).data.subarray(0, size));
  }

  launch(
    kernel: KernelDescriptor,
    buffers: readonly BackendBuffer[],
    params: Params,
    defines: Defines = {},
  ): void {
    if (buffers.length !== kernel.shader.bindings.length) {
      throw new Error(
        `kernel ${kernel.name}: expected ${kernel.shader.bindings.length} buffers, got ${buffers.length}`,
      );
    }
    kernel.cpu(
      buffers.map((b) => (b as CpuBuffer).data),
      params,
      defines,
    );
  }

  flush(): void {}

  sync(): Promise<void> {
    return Promise.resolve();
  }

  hasFeature(): boolean {
    return false;
  }

  memory(): MemoryStats {
    return { liveBuffers: this.live, liveBytes: this.liveBytes, pooledBytes: 0 };
  }
}
