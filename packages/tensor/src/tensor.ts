import type { Backend, BackendBuffer } from './backend.js';
import type { DType, TypedArray } from './dtype.js';
import { track } from './engine.js';
import { formatShape, type Shape, sizeOf } from './shape.js';

/** Reference-counted backend memory shared by a tensor and its views. */
export class Storage {
  refs = 1;
  constructor(readonly buffer: BackendBuffer) {}

  get backend(): Backend {
    return this.buffer.backend;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  releaseRef(): void {
    if (--this.refs === 0) this.buffer.backend.release(this.buffer);
  }
}

/** The record autograd keeps for one op application (see autograd.ts). */
export interface GradNode {
  readonly opName: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /** Computes input gradients from output gradients. */
  readonly backward: (grads: readonly (Tensor | null)[]) => readonly (Tensor | null)[];
}

let nextId = 1;

/**
 * An n-dimensional array on one backend: contiguous, row-major, offset 0. Views (`view`, and
 * `reshape` of a tensor that needs no gradient) share storage. A tensor is freed by `dispose()`
 * or by the scope it was created in.
 */
export class Tensor {
  readonly isTensor = true;
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  /** Whether autograd computes a gradient for this tensor. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf tensor (set by `backward`). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when recorded for autograd. */
  node: GradNode | null = null;
  /** A name for error messages and checkpoints (parameters have one). */
  name?: string;
  private store: Storage | null;

  constructor(
    storage: Storage,
    shape: Shape,
    readonly dtype: DType,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    if (storage.buffer.size < this.size) {
      throw new Error(
        `Tensor: storage of ${storage.buffer.size} elements cannot hold shape ${formatShape(shape)}`,
      );
    }
    this.store = storage;
    track(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.store === null;
  }

  /** The storage, or a clear error if the tensor was disposed. */
  get storage(): Storage {
    if (this.store === null) throw new Error(`tensor ${this.describe()} was used after dispose()`);
    return this.store;
  }

  get buffer(): BackendBuffer {
    return this.storage.buffer;
  }

  get backend(): Backend {
    return this.storage.backend;
  }

  describe(): string {
    return `${this.name ?? `#${this.id}`} ${formatShape(this.shape)} ${this.dtype}`;
  }

  /** Reads the values back (flushing pending GPU work). */
  async data(): Promise<TypedArray> {
    const all = await this.backend.read(this.buffer);
    return all.length === this.size ? all : all.slice(0, this.size);
  }

  /** Synchronous read; only backends that can (the CPU backend) support it. */
  dataSync(): TypedArray {
    const read = this.backend.readSync;
    if (!read)
      throw new Error(`dataSync() is not available on the ${this.backend.name} backend; use await data()`);
    const all = read.call(this.backend, this.buffer);
    return all.length === this.size ? all : all.slice(0, this.size);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item(): tensor ${this.describe()} has ${this.size} elements`);
    return (await this.data())[0];
  }

  itemSync(): number {
    if (this.size !== 1) throw new Error(`itemSync(): tensor ${this.describe()} has ${this.size} elements`);
    return this.dataSync()[0];
  }

  /** A tensor sharing this one's storage under another shape of the same size (no copy). */
  view(shape: Shape): Tensor {
    if (sizeOf(shape) !== this.size) {
      throw new Error(`view: cannot view ${this.describe()} as ${formatShape(shape)}`);
    }
    return new Tensor(this.storage.retain(), shape, this.dtype);
  }

  /** A tensor with the same storage and no autograd history. */
  detach(): Tensor {
    return this.view(this.shape);
  }

  /**
   * Replaces this tensor's contents by `source`'s storage (same shape and dtype), without a copy;
   * used for parameter and buffer updates. `source` stays valid and shares the storage.
   */
  assign(source: Tensor): void {
    if (source.size !== this.size || source.dtype !== this.dtype) {
      throw new Error(`assign: cannot assign ${source.describe()} to ${this.describe()}`);
    }
    if (source.backend !== this.backend)
      throw new Error(`assign: ${source.describe()} is on another backend`);
    const next = source.storage.retain();
    this.storage.releaseRef();
    this.store = next;
  }

  /** Frees this tensor's reference to its storage. Safe to call twice. */
  dispose(): void {
    if (this.store === null) return;
    this.store.releaseRef();
    this.store = null;
    this.node = null;
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  toString(): string {
    return `Tensor(${this.describe()})`;
  }
}
