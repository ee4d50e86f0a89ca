/**
 * GPU buffer pool. Buffers ("slabs") are created in size buckets — four per power of two, so at
 * most 25 % is wasted — and go back to a free list of their bucket when released. A training loop
 * allocates the same sizes every step, so in steady state no GPUBuffer is created or destroyed.
 */

/** One GPUBuffer owned by a pool. `epoch` is the batch that last used it (see WebGpuBackend). */
export interface Slab {
  readonly id: number;
  readonly buffer: GPUBuffer;
  readonly bytes: number;
  epoch: number;
}

const MIN_BUCKET_BYTES = 256;

/**
 * Rounds a byte count up to its bucket: a multiple of 256 bytes of the form m·2^k with m ∈ {4, 5,
 * 6, 7} (steps of 1.25×), so neighbouring requests share buffers without large waste.
 */
export function bucketBytes(bytes: number): number {
  if (bytes <= MIN_BUCKET_BYTES) return MIN_BUCKET_BYTES;
  const octave = 2 ** Math.floor(Math.log2(bytes));
  const step = octave / 4;
  const rounded = Math.ceil(bytes / step) * step;
  return Math.ceil(rounded / MIN_BUCKET_BYTES) * MIN_BUCKET_BYTES;
}

export interface PoolStats {
  /** Bytes in buffers handed out and not yet released. */
  readonly inUseBytes: number;
  readonly inUseBuffers: number;
  /** Bytes in buffers waiting in free lists. */
  readonly pooledBytes: number;
  readonly pooledBuffers: number;
  /** GPUBuffers created so far (a steady-state loop stops increasing this). */
  readonly created: number;
  /** Free buffers destroyed to keep the pool under its byte limit. */
  readonly evicted: number;
}

let nextSlabId = 1;

export class BufferPool {
  private readonly free = new Map<number, Slab[]>();
  /** Free slabs in release order (oldest first), for eviction. */
  private readonly freeOrder = new Set<Slab>();
  private inUseBytes = 0;
  private inUseBuffers = 0;
  private pooledBytes = 0;
  private created = 0;
  private evicted = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly label: string,
    /** Free bytes kept at most; releasing beyond it evicts the oldest free buffers. */
    public maxPooledBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** A slab of at least `bytes` bytes (its contents are unspecified). */
  acquire(bytes: number): Slab {
    const size = bucketBytes(bytes);
    const list = this.free.get(size);
    let slab = list?.pop();
    if (slab) {
      this.freeOrder.delete(slab);
      this.pooledBytes -= size;
    } else {
      const buffer = this.device.createBuffer({ size, usage: this.usage, label: `${this.label} ${size}B` });
      slab = { id: nextSlabId++, buffer, bytes: size, epoch: -1 };
      this.created++;
    }
    this.inUseBytes += size;
    this.inUseBuffers++;
    return slab;
  }

  /** Returns a slab to its free list; returns the slabs evicted to respect `maxPooledBytes`. */
  release(slab: Slab): Slab[] {
    this.inUseBytes -= slab.bytes;
    this.inUseBuffers--;
    let list = this.free.get(slab.bytes);
    if (!list) {
      list = [];
      this.free.set(slab.bytes, list);
    }
    list.push(slab);
    this.freeOrder.add(slab);
    this.pooledBytes += slab.bytes;
    return this.trim(this.maxPooledBytes);
  }

  /** Takes free slabs out of the pool (oldest first) until at most `limit` bytes stay pooled. */
  trim(limit = 0): Slab[] {
    const out: Slab[] = [];
    for (const slab of this.freeOrder) {
      if (this.pooledBytes <= limit) break;
      this.freeOrder.delete(slab);
      const list = this.free.get(slab.bytes)!;
      list.splice(list.indexOf(slab), 1);
      this.pooledBytes -= slab.bytes;
      this.evicted++;
      out.push(slab);
    }
    return out;
  }

  stats(): PoolStats {
    return {
      inUseBytes: this.inUseBytes,
      inUseBuffers: this.inUseBuffers,
      pooledBytes: this.pooledBytes,
      pooledBuffers: this.freeOrder.size,
      created: this.created,
      evicted: this.evicted,
    };
  }
}
