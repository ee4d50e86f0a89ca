/**
 * Ops: the unit of computation. An op is a record — a shape rule (`infer`), a `forward` that
 * launches kernels on the inputs' backend, and a `backward` rule composed from other ops — kept in
 * a registry so packages and plugins can add ops without touching a backend.
 */
import type { Defines, KernelDescriptor, Params } from '@fracbits/kernels';
import type { Backend, BackendBuffer } from './backend.js';
import { empty } from './creation.js';
import type { DType } from './dtype.js';
import { isGradEnabled } from './engine.js';
import { formatShape, type Shape } from './shape.js';
import type { Tensor } from './tensor.js';

export interface TensorSpec {
  readonly shape: Shape;
  readonly dtype: DType;
}

export interface ForwardContext<A> {
  readonly backend: Backend;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: A;
  /** Launches a kernel on tensors or raw buffers given in binding order. */
  launch(
    kernel: KernelDescriptor,
    operands: readonly (Tensor | BackendBuffer)[],
    params: Params,
    defines?: Defines,
  ): void;
  /** Scratch memory released when `forward` returns (safe: backends keep launch order). */
  scratch(dtype: DType, size: number): BackendBuffer;
}

export interface BackwardContext<A> {
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: A;
}

export interface OpDef<A = Record<string, never>> {
  readonly name: string;
  /** Validates inputs and attrs; returns the outputs' shapes and dtypes. Throws a clear error. */
  infer(inputs: readonly Tensor[], attrs: A): TensorSpec[];
  /** Computes the outputs by launching kernels. */
  forward(ctx: ForwardContext<A>): void;
  /**
   * Gradients with respect to each input, given gradients of each output (null where an output
   * got none). Built from ops, so it runs on any backend. Absent: the op is not differentiable.
   */
  backward?(grads: readonly (Tensor | null)[], ctx: BackwardContext<A>): readonly (Tensor | null)[];
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds ops of every attrs type
const registry = new Map<string, OpDef<any>>();

/** Defines an op and registers it under its name (a second definition of a name is an error). */
export function defineOp<A>(def: OpDef<A>): OpDef<A> {
  if (registry.has(def.name)) throw new Error(`op "${def.name}" is already registered`);
  registry.set(def.name, def);
  return def;
}

export function getOp(name: string): OpDef<unknown> {
  const op = registry.get(name);
  if (!op) throw new Error(`unknown op "${name}"; registered: ${[...registry.keys()].sort().join(', ')}`);
  return op;
}

export function listOps(): string[] {
  return [...registry.keys()].sort();
}

/** Applies an op: validates, allocates outputs, runs forward, records autograd. */
export function runOp<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor[] {
  if (inputs.length === 0) throw new Error(`${op.name}: needs at least one input`);
  const backend = inputs[0].backend;
  for (const t of inputs) {
    if (t.disposed) throw new Error(`${op.name}: input ${t.describe()} was disposed`);
    if (t.backend !== backend) {
      throw new Error(
        `${op.name}: inputs live on different backends (${backend.name} and ${t.backend.name})`,
      );
    }
  }
  const specs = op.infer(inputs, attrs);
  const outputs = specs.map((s) => empty(s.shape, s.dtype, backend));
  const scratch: BackendBuffer[] = [];
  try {
    op.forward({
      backend,
      inputs,
      outputs,
      attrs,
      launch(kernel, operands, params, defines) {
        const buffers = operands.map((o) =>
          (o as Tensor).isTensor ? (o as Tensor).buffer : (o as BackendBuffer),
        );
        backend.launch(kernel, buffers, params, defines);
      },
      scratch(dtype, size) {
        const b = backend.allocate(dtype, Math.max(1, size));
        scratch.push(b);
        return b;
      },
    });
  } finally {
    for (const b of scratch) backend.release(b);
  }
  const backwardRule = op.backward;
  if (backwardRule && isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    const ctx: BackwardContext<A> = { inputs, outputs, attrs };
    const node = {
      opName: op.name,
      inputs,
      outputs,
      backward: (grads: readonly (Tensor | null)[]) => backwardRule.call(op, grads, ctx),
    };
    for (const o of outputs) {
      if (o.dtype === 'float32') {
        o.requiresGrad = true;
        o.node = node;
      }
    }
  }
  return outputs;
}

/** Shorthand for single-output ops. */
export function run1<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  return runOp(op, inputs, attrs)[0];
}

/** Throws unless `t` is float32 (the message names the op and the tensor). */
export function expectFloat(op: string, t: Tensor): void {
  if (t.dtype !== 'float32') throw new Error(`${op}: expected a float32 tensor, got ${t.describe()}`);
}

export function expectRank(op: string, t: Tensor, rank: number): void {
  if (t.rank !== rank)
    throw new Error(`${op}: expected rank ${rank}, got ${t.describe()} ${formatShape(t.shape)}`);
}
