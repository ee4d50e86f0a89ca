/**
 * A per-batch staging arena: bytes appended while a batch is recorded (launch params, uploads that
 * must stay ordered with recorded kernels) are gathered on the CPU and written to one GPUBuffer
 * with a single `queue.writeBuffer` just before the batch's submit. Queue operations run in
 * order, so the write lands after every earlier batch finished reading the previous contents and
 * before this batch's commands read the new ones: one GPUBuffer serves every batch.
 */
export class StagingArena {
  private readonly cpu: Uint8Array;
  private used = 0;
  private readonly gpu: GPUBuffer;

  constructor(
    device: GPUDevice,
    usage: number,
    label: string,
    capacity: number,
    private readonly alignment: number,
  ) {
    this.cpu = new Uint8Array(capacity);
    this.gpu = device.createBuffer({ size: capacity, usage, label });
  }

  /** The GPUBuffer that holds this batch's bytes (the same for every batch). */
  get buffer(): GPUBuffer {
    return this.gpu;
  }

  get capacity(): number {
    return this.cpu.byteLength;
  }

  get empty(): boolean {
    return this.used === 0;
  }

  /** Whether `bytes` more bytes fit in this batch. */
  fits(bytes: number): boolean {
    return this.align(this.used) + bytes <= this.cpu.byteLength;
  }

  /** Appends bytes; returns their offset in the GPU buffer. The caller checked `fits`. */
  push(data: ArrayBufferView | ArrayBuffer): number {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const offset = this.align(this.used);
    this.cpu.set(bytes, offset);
    this.used = offset + bytes.byteLength;
    return offset;
  }

  /** Writes the batch's bytes to the GPU buffer (queued before the submit that follows). */
  commit(queue: GPUQueue): void {
    if (this.used === 0) return;
    queue.writeBuffer(this.gpu, 0, this.cpu, 0, Math.ceil(this.used / 4) * 4);
    this.used = 0;
  }

  destroy(): void {
    this.gpu.destroy();
  }

  private align(n: number): number {
    return Math.ceil(n / this.alignment) * this.alignment;
  }
}
