/**
 * Per-kernel GPU time from timestamp queries. While profiling, the backend gives every dispatch
 * its own compute pass with timestamp writes; each batch's query set is resolved into a buffer
 * inside the batch's command buffer and read back asynchronously after the submit.
 */
import { BufferUsage, MapMode } from './constants.js';

export interface KernelProfile {
  /** Kernel name and defines. */
  readonly kernel: string;
  readonly count: number;
  /** Total GPU time of its dispatches. */
  readonly ms: number;
}

export class GpuProfiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private labels: string[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly totals = new Map<string, { count: number; ns: number }>();

  constructor(
    private readonly device: GPUDevice,
    /** Dispatches per batch at most (two timestamps each). */
    readonly capacity: number,
  ) {
    this.querySet = device.createQuerySet({
      type: 'timestamp',
      count: 2 * capacity,
      label: 'fracbits profile',
    });
    this.resolveBuffer = device.createBuffer({
      size: 16 * capacity,
      usage: BufferUsage.COPY_SRC | 0x0200 /* QUERY_RESOLVE */,
      label: 'fracbits profile resolve',
    });
  }

  get full(): boolean {
    return this.labels.length >= this.capacity;
  }

  /** Timestamp writes for the pass of the next dispatch. */
  next(label: string): GPUComputePassTimestampWrites {
    const i = this.labels.length;
    this.labels.push(label);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Records the resolve of this batch's timestamps; call before `encoder.finish()`. */
  resolve(encoder: GPUCommandEncoder): (() => void) | null {
    const labels = this.labels;
    if (labels.length === 0) return null;
    this.labels = [];
    const bytes = 16 * labels.length;
    encoder.resolveQuerySet(this.querySet, 0, 2 * labels.length, this.resolveBuffer, 0);
    const readback = this.device.createBuffer({
      size: bytes,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, readback, 0, bytes);
    // After the submit: map and accumulate without blocking the caller.
    return () => {
      const done = readback.mapAsync(MapMode.READ).then(() => {
        const t = new BigUint64Array(readback.getMappedRange());
        labels.forEach((label, i) => {
          const ns = Number(t[2 * i + 1] - t[2 * i]);
          const total = this.totals.get(label) ?? { count: 0, ns: 0 };
          total.count++;
          total.ns += Math.max(0, ns);
          this.totals.set(label, total);
        });
        readback.destroy();
      });
      const tracked = done.finally(() => this.pending.delete(tracked));
      this.pending.add(tracked);
    };
  }

  /** Totals per kernel so far, slowest first. */
  async report(): Promise<KernelProfile[]> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    return [...this.totals]
      .map(([kernel, t]) => ({ kernel, count: t.count, ms: t.ns / 1e6 }))
      .sort((a, b) => b.ms - a.ms);
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
  }
}
