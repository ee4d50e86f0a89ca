/**
 * The module an imported ONNX graph becomes: its forward walks the (topologically sorted) steps,
 * one per computing ONNX node. Layers (Conv2d, Linear, BatchNorm, activations, pooling) are child
 * modules registered under their ONNX node names, so quantizer wrappers (`replaceModule`), state
 * dicts, cost walks and `describeLayers` see an ordinary module tree; steps look their child up by
 * name on every call, so a replaced child takes effect. The few parameter-free ops between layers
 * (Add, Reshape, Flatten, Transpose) are declarative steps the exporters can write back.
 */
import { Module } from '@fracbits/nn';
import {
  add,
  broadcastShapes,
  formatShape,
  pad,
  reshape,
  type Shape,
  sizeOf,
  slice,
  type Tensor,
  transpose,
  unary,
} from '@fracbits/tensor';

/** What one step computes. */
export type StepOp =
  /** The registered child `name`, applied to the single input. */
  | { readonly kind: 'module'; readonly name: string }
  /** Broadcasting sum of two computed values (e.g. a residual connection). */
  | { readonly kind: 'add' }
  /** Broadcasting sum of the input and the constant buffer `buffer`. */
  | { readonly kind: 'addConstant'; readonly buffer: string }
  /** ONNX Reshape: 0 copies the input dimension, one -1 is inferred. */
  | { readonly kind: 'reshape'; readonly shape: readonly number[] }
  /** ONNX Flatten: [prod(dims before axis), prod(dims from axis)]. */
  | { readonly kind: 'flatten'; readonly axis: number }
  /** Swaps the two axes of a matrix (Gemm's transA). */
  | { readonly kind: 'transpose' }
  /** ONNX Slice with positive steps, one entry per axis (ends are clamped to the axis). */
  | {
      readonly kind: 'slice';
      readonly starts: readonly number[];
      readonly ends: readonly number[];
      readonly steps: readonly number[];
    }
  /** ONNX Pad in constant mode: `pads` = [begin per axis..., end per axis...], all ≥ 0. */
  | { readonly kind: 'pad'; readonly pads: readonly number[]; readonly value: number };

export interface GraphStep {
  /** The ONNX node this step came from (for errors). */
  readonly node: string;
  readonly opType: string;
  /** Value names read (computed values only; constants are folded into the op or module). */
  readonly inputs: readonly string[];
  readonly output: string;
  readonly op: StepOp;
}

/** ONNX Reshape's target for an input shape: 0 copies the input dimension, -1 is inferred. */
export function reshapeTarget(input: Shape, spec: readonly number[]): number[] {
  const out = spec.map((d, i) => {
    if (d !== 0) return d;
    if (i >= input.length)
      throw new Error(
        `Reshape: 0 at position ${i} but the input ${formatShape(input)} has ${input.length} dimensions`,
      );
    return input[i];
  });
  const free = out.filter((d) => d === -1).length;
  if (free > 1 || out.some((d) => d < -1))
    throw new Error(`Reshape: invalid target shape [${spec.join(', ')}]`);
  const size = sizeOf(input);
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  if (free === 1) {
    if (known === 0 || size % known !== 0) {
      throw new Error(`Reshape: cannot reshape ${formatShape(input)} to [${spec.join(', ')}]`);
    }
    return out.map((d) => (d === -1 ? size / known : d));
  }
  if (known !== size)
    throw new Error(`Reshape: cannot reshape ${formatShape(input)} to [${spec.join(', ')}]`);
  return out;
}

/** ONNX Flatten's output shape (always 2-D). */
export function flattenTarget(input: Shape, axis: number): number[] {
  const a = axis < 0 ? axis + input.length : axis;
  if (a < 0 || a > input.length)
    throw new Error(`Flatten: axis ${axis} is out of range for input ${formatShape(input)}`);
  return [sizeOf(input.slice(0, a)), sizeOf(input.slice(a))];
}

/** The output shape of ONNX Slice (positive steps) on `input`, as tensor's `slice` computes it. */
export function sliceTarget(
  input: Shape,
  starts: readonly number[],
  ends: readonly number[],
  steps: readonly number[],
): number[] {
  if (starts.length !== input.length) {
    throw new Error(`Slice: expected ${input.length} axes, got starts for ${starts.length}`);
  }
  return input.map((n, k) => {
    const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
    const [s, e] = [clampIndex(starts[k]), clampIndex(ends[k])];
    return e > s ? Math.ceil((e - s) / steps[k]) : 0;
  });
}

/** The per-axis [before, after] pairs of ONNX pads for a rank. */
export function padPairs(pads: readonly number[], rank: number): [number, number][] {
  if (pads.length !== 2 * rank)
    throw new Error(`Pad: expected ${2 * rank} pads for rank ${rank}, got ${pads.length}`);
  return Array.from({ length: rank }, (_, k) => [pads[k], pads[k + rank]] as [number, number]);
}

/** min(max(x, min), max) for bounds other than ReLU's and ReLU6's. */
export class Clip extends Module {
  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    super();
    if (!(min <= max)) throw new Error(`Clip: min ${min} must not exceed max ${max}`);
  }

  override outputShape(input: Shape): number[] {
    return [...input];
  }

  forward(x: Tensor): Tensor {
    return unary('clamp', x, this.min, this.max);
  }
}

export class OnnxGraphModule extends Module {
  private readonly stepList: GraphStep[] = [];
  private readonly constants = new Map<string, Tensor>();
  /** The ONNX node name of each child module (module names are sanitised node names). */
  readonly onnxNames = new Map<string, string>();
  private output = '';

  constructor(readonly inputName: string) {
    super();
  }

  get steps(): readonly GraphStep[] {
    return this.stepList;
  }

  get outputName(): string {
    return this.output;
  }

  /** A registered constant (the operand of an addConstant step). */
  constant(name: string): Tensor {
    const t = this.constants.get(name);
    if (!t) throw new Error(`OnnxGraphModule: no constant "${name}"`);
    return t;
  }

  /** Registers a child for a layer node and the step that applies it. */
  addLayer(step: Omit<GraphStep, 'op'>, name: string, module: Module): GraphStep {
    this.registerModule(name, module);
    this.onnxNames.set(name, step.node);
    const full: GraphStep = { ...step, op: { kind: 'module', name } };
    this.stepList.push(full);
    return full;
  }

  /** Registers a constant as a buffer (saved in the state dict). */
  addConstant(name: string, value: Tensor): void {
    this.registerBuffer(name, value);
    this.constants.set(name, value);
  }

  addStep(step: GraphStep): void {
    this.stepList.push(step);
  }

  setOutput(name: string): void {
    this.output = name;
  }

  override outputShape(input: Shape): number[] {
    const shapes = new Map<string, number[]>([[this.inputName, [...input]]]);
    for (const step of this.stepList) {
      const inputs = step.inputs.map((v) => shapes.get(v)!);
      shapes.set(
        step.output,
        this.withNode(step, () => this.stepShape(step, inputs)),
      );
    }
    return shapes.get(this.output)!;
  }

  forward(x: Tensor): Tensor {
    const values = new Map<string, Tensor>([[this.inputName, x]]);
    for (const step of this.stepList) {
      const inputs = step.inputs.map((v) => values.get(v)!);
      values.set(
        step.output,
        this.withNode(step, () => this.runStep(step, inputs)),
      );
    }
    return values.get(this.output)!;
  }

  /** The output shape of one step for its input shapes. */
  stepShape(step: GraphStep, inputs: readonly Shape[]): number[] {
    const op = step.op;
    switch (op.kind) {
      case 'module':
        return this.child(op.name).outputShape(inputs[0]);
      case 'add':
        return broadcastShapes(inputs[0], inputs[1], 'Add');
      case 'addConstant':
        return broadcastShapes(inputs[0], this.constant(op.buffer).shape, 'Add');
      case 'reshape':
        return reshapeTarget(inputs[0], op.shape);
      case 'flatten':
        return flattenTarget(inputs[0], op.axis);
      case 'transpose':
        if (inputs[0].length !== 2)
          throw new Error(`Transpose: expected a matrix, got ${formatShape(inputs[0])}`);
        return [inputs[0][1], inputs[0][0]];
      case 'slice':
        return sliceTarget(inputs[0], op.starts, op.ends, op.steps);
      case 'pad':
        return padPairs(op.pads, inputs[0].length).map(([b, a], k) => b + inputs[0][k] + a);
    }
  }

  private runStep(step: GraphStep, inputs: Tensor[]): Tensor {
    const op = step.op;
    switch (op.kind) {
      case 'module':
        return this.child(op.name).call(inputs[0]);
      case 'add':
        return add(inputs[0], inputs[1]);
      case 'addConstant':
        return add(inputs[0], this.constant(op.buffer));
      case 'reshape':
        return reshape(inputs[0], reshapeTarget(inputs[0].shape, op.shape));
      case 'flatten':
        return reshape(inputs[0], flattenTarget(inputs[0].shape, op.axis));
      case 'transpose':
        return transpose(inputs[0], 0, 1);
      case 'slice':
        return slice(inputs[0], op.starts, op.ends, op.steps);
      case 'pad':
        return pad(inputs[0], padPairs(op.pads, inputs[0].rank), op.value);
    }
  }

  private child(name: string): Module {
    const m = this.getModule(name);
    if (!m) throw new Error(`OnnxGraphModule: no child "${name}"`);
    return m;
  }

  /** Runs `fn`, prefixing errors with the ONNX node (once, at the innermost graph). */
  private withNode<T>(step: GraphStep, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      const error = e as Error;
      if (error.message.startsWith('ONNX node ')) throw error;
      throw new Error(`ONNX node "${step.node}" (${step.opType}): ${error.message}`, { cause: e });
    }
  }
}
