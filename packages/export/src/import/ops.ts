/**
 * One converter per supported ONNX op: each reads the node's attributes and constant inputs and
 * adds a layer (a child module with the ONNX weights loaded) or a parameter-free step to the
 * graph module. Anything outside what we can reproduce exactly is an error naming the node.
 */
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  ReLU6,
  Sigmoid,
  Tanh,
} from '@fracbits/nn';
import { formatShape, Rng, type Tensor, tensor } from '@fracbits/tensor';
import type { DecodedTensor } from '../proto/tensor-data.js';
import { DataType, type NodeProto, type TensorProto } from '../proto/types.js';
import { type NodeAttributes, nodeLabel } from './attributes.js';
import { Clip, reshapeTarget, type StepOp } from './graph-module.js';

/** What converters need from the importer (implemented in import.ts). */
export interface ImportContext {
  /** The canonical name of a computed value; throws if it is a constant or undefined. */
  computed(name: string): string;
  /** A constant input (initializer or Constant output); throws if it is computed or undefined. */
  constant(name: string, role: string): DecodedTensor;
  /** Whether `name` is a constant (false for computed and undefined values). */
  isConstant(name: string): boolean;
  /** Shape of a computed value at batch 1. */
  shapeOf(value: string): number[];
  /** Adds a child module applied to `input`, producing the node's first output. */
  addLayer(input: string, module: Module): void;
  /** Adds a parameter-free step; `output` defaults to the node's first output. */
  addStep(inputs: readonly string[], op: StepOp, output?: string): string;
  /** Registers a constant buffer for an addConstant step; returns its buffer name. */
  addConstantBuffer(value: DecodedTensor): string;
  /** Decodes a tensor attribute (a Constant's value), resolving external data. */
  decode(t: TensorProto): DecodedTensor;
  /** Makes `output` another name for `input` (Identity, Dropout). */
  alias(output: string, input: string): void;
  /** Defines `output` as a constant (Constant, folded Reshape). */
  defineConstant(output: string, value: DecodedTensor): void;
  /** Marks an output this importer cannot produce; using it later is an error with `reason`. */
  unsupportedOutput(output: string, reason: string): void;
}

export type Converter = (ctx: ImportContext, node: NodeProto, attrs: NodeAttributes) => void;

const FLOAT_MAX = 3.4028234663852886e38;

/** Fixed generator for the throw-away initial weights of layers (the ONNX weights replace them). */
const initRng = (): Rng => new Rng(0);

function fail(node: NodeProto, reason: string): never {
  throw new Error(`${nodeLabel(node)}: ${reason}`);
}

function input(node: NodeProto, i: number): string {
  return node.input?.[i] ?? '';
}

function floats(t: DecodedTensor): Float32Array {
  return t.values instanceof Float32Array ? t.values : Float32Array.from(t.values);
}

/** Copies ONNX values into a module's parameter or buffer, checking the shape. */
function load(node: NodeProto, target: Tensor, value: DecodedTensor, role: string): void {
  const n = target.shape.reduce((a, b) => a * b, 1);
  if (value.values.length !== n) {
    fail(
      node,
      `${role} "${value.name}" has shape [${value.dims.join(', ')}], expected ${formatShape(target.shape)}`,
    );
  }
  const source = tensor(floats(value), target.shape, { backend: target.backend });
  target.assign(source);
  source.dispose();
}

function optionalConstant(
  ctx: ImportContext,
  node: NodeProto,
  i: number,
  role: string,
): DecodedTensor | null {
  const name = input(node, i);
  return name === '' ? null : ctx.constant(name, role);
}

function scalarOf(ctx: ImportContext, node: NodeProto, i: number, role: string): number | undefined {
  const t = optionalConstant(ctx, node, i, role);
  if (!t) return undefined;
  if (t.values.length !== 1) fail(node, `${role} must be a scalar, got shape [${t.dims.join(', ')}]`);
  return t.values[0];
}

function pairOf(
  node: NodeProto,
  what: string,
  values: readonly number[] | undefined,
  fallback: number,
): [number, number] {
  const v = values ?? [fallback, fallback];
  if (v.length !== 2) fail(node, `${what} must have 2 entries (2-D only), got [${v.join(', ')}]`);
  return [v[0], v[1]];
}

/** Symmetric [h, w] padding from pads/auto_pad (asymmetric pads and SAME_* are not supported). */
function padding2d(node: NodeProto, attrs: NodeAttributes): [number, number] {
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'VALID') return [0, 0];
  if (autoPad !== 'NOTSET') fail(node, `auto_pad "${autoPad}" is not supported (use explicit pads)`);
  const pads = attrs.ints('pads', [0, 0, 0, 0])!;
  if (pads.length !== 4) fail(node, `pads must have 4 entries (2-D only), got [${pads.join(', ')}]`);
  if (pads[0] !== pads[2] || pads[1] !== pads[3]) {
    fail(node, `asymmetric pads [${pads.join(', ')}] are not supported (begin and end must be equal)`);
  }
  return [pads[0], pads[1]];
}

function checkKernelShape(node: NodeProto, attrs: NodeAttributes, kernel: readonly number[]): void {
  const declared = attrs.ints('kernel_shape', undefined);
  if (declared && (declared.length !== kernel.length || declared.some((d, i) => d !== kernel[i]))) {
    fail(node, `kernel_shape [${declared.join(', ')}] does not match the weight's [${kernel.join(', ')}]`);
  }
}

const conv: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const x = ctx.computed(input(node, 0));
  const w = ctx.constant(input(node, 1), 'weight');
  if (w.dims.length !== 4)
    fail(node, `only 2-D convolutions are supported (4-D weight), got weight [${w.dims.join(', ')}]`);
  const b = optionalConstant(ctx, node, 2, 'bias');
  const [outChannels, perGroup, kh, kw] = w.dims;
  checkKernelShape(node, attrs, [kh, kw]);
  const groups = attrs.int('group', 1);
  const layer = new Conv2d(perGroup * groups, outChannels, [kh, kw], {
    stride: pairOf(node, 'strides', attrs.ints('strides', undefined), 1),
    padding: padding2d(node, attrs),
    dilation: pairOf(node, 'dilations', attrs.ints('dilations', undefined), 1),
    groups,
    bias: b !== null,
    rng: initRng(),
  });
  load(node, layer.weight, w, 'weight');
  if (b && layer.bias) load(node, layer.bias, b, 'bias');
  ctx.addLayer(x, layer);
};

/** A Linear holding y = x·Wᵀ + b with W = `weight` ([out, in]) and optional bias. */
function linearLayer(
  node: NodeProto,
  weight: Float32Array,
  out: number,
  inFeatures: number,
  bias: Float32Array | null,
): Linear {
  const layer = new Linear(inFeatures, out, { bias: bias !== null, rng: initRng() });
  load(
    node,
    layer.weight,
    { name: `${node.name}.weight`, dims: [out, inFeatures], dataType: DataType.FLOAT, values: weight },
    'weight',
  );
  if (bias && layer.bias)
    load(
      node,
      layer.bias,
      { name: `${node.name}.bias`, dims: [out], dataType: DataType.FLOAT, values: bias },
      'bias',
    );
  return layer;
}

/** Bias C broadcast to [n] (scalar, [1], [n] or [1, n]); a per-row bias depends on the batch. */
function gemmBias(node: NodeProto, c: DecodedTensor, n: number, beta: number): Float32Array {
  const v = floats(c);
  if (v.length === 1) return new Float32Array(n).fill(Math.fround(beta * v[0]));
  const rows = c.dims.slice(0, -1).reduce((a, b) => a * b, 1);
  if (v.length !== n || rows !== 1) {
    fail(
      node,
      `bias C of shape [${c.dims.join(', ')}] must broadcast to [${n}] (a per-row bias depends on the batch)`,
    );
  }
  return v.map((e) => beta * e);
}

const gemm: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['alpha', 'beta', 'transA', 'transB']);
  let x = ctx.computed(input(node, 0));
  const shape = ctx.shapeOf(x);
  if (shape.length !== 2) fail(node, `input A must be a matrix, got ${formatShape(shape)}`);
  const b = ctx.constant(input(node, 1), 'B (weight)');
  if (b.dims.length !== 2) fail(node, `B must be a matrix, got [${b.dims.join(', ')}]`);
  const alpha = attrs.float('alpha', 1);
  const beta = attrs.float('beta', 1);
  const transB = attrs.int('transB', 0) !== 0;
  if (attrs.int('transA', 0) !== 0)
    x = ctx.addStep([x], { kind: 'transpose' }, `${node.output?.[0]}__A_transposed`);
  const [k, n] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
  const bv = floats(b);
  // Linear's weight is [out, in]: B itself when transB, else Bᵀ; alpha is folded in.
  const weight = new Float32Array(n * k);
  for (let o = 0; o < n; o++) {
    for (let i = 0; i < k; i++) weight[o * k + i] = alpha * (transB ? bv[o * k + i] : bv[i * n + o]);
  }
  const c = optionalConstant(ctx, node, 2, 'C (bias)');
  const bias = c && beta !== 0 ? gemmBias(node, c, n, beta) : null;
  ctx.addLayer(x, linearLayer(node, weight, n, k, bias));
};

const matMul: Converter = (ctx, node, attrs) => {
  attrs.allowOnly([]);
  const x = ctx.computed(input(node, 0));
  if (!ctx.isConstant(input(node, 1))) {
    fail(node, 'only a constant right operand is supported (a Linear layer); B is computed');
  }
  const b = ctx.constant(input(node, 1), 'B (weight)');
  if (b.dims.length !== 2) fail(node, `B must be a matrix, got [${b.dims.join(', ')}]`);
  const [k, n] = b.dims;
  const bv = floats(b);
  const weight = new Float32Array(n * k);
  for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) weight[o * k + i] = bv[i * n + o];
  ctx.addLayer(x, linearLayer(node, weight, n, k, null));
};

const batchNormalization: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['epsilon', 'momentum', 'training_mode', 'spatial']);
  if (attrs.int('training_mode', 0) !== 0 || (node.output ?? []).slice(1).some((o) => o !== '')) {
    fail(
      node,
      'training mode (batch statistics, extra outputs) is not supported; export the model in eval mode',
    );
  }
  if (attrs.int('spatial', 1) !== 1) fail(node, 'spatial = 0 (per-position statistics) is not supported');
  const x = ctx.computed(input(node, 0));
  const params = ['scale', 'B (bias)', 'mean', 'var'].map((role, i) =>
    ctx.constant(input(node, i + 1), role),
  );
  const channels = params[0].values.length;
  const rank = ctx.shapeOf(x).length;
  // ONNX momentum weighs the old running value; PyTorch's (ours) weighs the new batch value.
  const options = { eps: attrs.float('epsilon', 1e-5), momentum: 1 - attrs.float('momentum', 0.9) };
  const bn =
    rank === 4
      ? new BatchNorm2d(channels, options)
      : rank === 2 || rank === 3
        ? new BatchNorm1d(channels, options)
        : null;
  if (!bn) fail(node, `expected an input of rank 2, 3 or 4, got ${formatShape(ctx.shapeOf(x))}`);
  load(node, bn.weight, params[0], 'scale');
  load(node, bn.bias, params[1], 'B');
  load(node, bn.runningMean, params[2], 'mean');
  load(node, bn.runningVar, params[3], 'var');
  ctx.addLayer(x, bn);
};

/** A parameter-free activation module. */
function activation(make: () => Module): Converter {
  return (ctx, node, attrs) => {
    attrs.allowOnly([]);
    ctx.addLayer(ctx.computed(input(node, 0)), make());
  };
}

const clip: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['min', 'max']);
  const x = ctx.computed(input(node, 0));
  // Opset < 11 has attributes, later opsets optional constant inputs.
  const lo = attrs.has('min')
    ? attrs.float('min', 0)
    : (scalarOf(ctx, node, 1, 'min') ?? Number.NEGATIVE_INFINITY);
  const hi = attrs.has('max')
    ? attrs.float('max', 0)
    : (scalarOf(ctx, node, 2, 'max') ?? Number.POSITIVE_INFINITY);
  if (!(lo <= hi)) fail(node, `min ${lo} exceeds max ${hi}`);
  let layer: Module;
  if (lo === 0 && hi === 6) layer = new ReLU6();
  else if (lo === 0 && hi === Number.POSITIVE_INFINITY) layer = new ReLU();
  else layer = new Clip(Math.max(lo, -FLOAT_MAX), Math.min(hi, FLOAT_MAX));
  ctx.addLayer(x, layer);
};

/** Shared attribute handling of MaxPool and AveragePool. */
function poolGeometry(
  node: NodeProto,
  attrs: NodeAttributes,
): { kernel: [number, number]; stride: [number, number]; padding: [number, number] } {
  const kernel = pairOf(
    node,
    'kernel_shape',
    attrs.ints('kernel_shape', undefined) ?? fail(node, 'kernel_shape is required'),
    1,
  );
  if (attrs.int('ceil_mode', 0) !== 0) fail(node, 'ceil_mode = 1 is not supported');
  const dilations = attrs.ints('dilations', [1, 1])!;
  if (dilations.some((d) => d !== 1))
    fail(node, `dilations [${dilations.join(', ')}] are not supported (only 1)`);
  return {
    kernel,
    // ONNX pooling strides default to 1 (not to the kernel, as in PyTorch).
    stride: pairOf(node, 'strides', attrs.ints('strides', undefined), 1),
    padding: padding2d(node, attrs),
  };
}

function withNode<T>(node: NodeProto, make: () => T): T {
  try {
    return make();
  } catch (e) {
    fail(node, (e as Error).message);
  }
}

const maxPool: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']);
  if ((node.output ?? []).slice(1).some((o) => o !== '')) fail(node, 'the Indices output is not supported');
  const g = poolGeometry(node, attrs);
  const x = ctx.computed(input(node, 0));
  ctx.addLayer(
    x,
    withNode(node, () => new MaxPool2d(g.kernel, { stride: g.stride, padding: g.padding })),
  );
};

const averagePool: Converter = (ctx, node, attrs) => {
  attrs.allowOnly([
    'auto_pad',
    'ceil_mode',
    'count_include_pad',
    'dilations',
    'kernel_shape',
    'pads',
    'strides',
  ]);
  const g = poolGeometry(node, attrs);
  const x = ctx.computed(input(node, 0));
  const countIncludePad = attrs.int('count_include_pad', 0) !== 0;
  ctx.addLayer(
    x,
    withNode(node, () => new AvgPool2d(g.kernel, { stride: g.stride, padding: g.padding, countIncludePad })),
  );
};

const globalAveragePool: Converter = (ctx, node, attrs) => {
  attrs.allowOnly([]);
  ctx.addLayer(ctx.computed(input(node, 0)), new AdaptiveAvgPool2d(1));
};

const flatten: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['axis']);
  const x = ctx.computed(input(node, 0));
  const axis = attrs.int('axis', 1);
  // nn's Flatten(1) is ONNX's Flatten(axis 1) for inputs of rank ≥ 2; other axes are a reshape.
  if (axis === 1 && ctx.shapeOf(x).length >= 2) ctx.addLayer(x, new Flatten(1));
  else ctx.addStep([x], { kind: 'flatten', axis });
};

const reshape: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['allowzero']);
  const shape = ctx.constant(input(node, 1), 'shape');
  if (shape.dims.length !== 1) fail(node, `shape must be a 1-D tensor, got [${shape.dims.join(', ')}]`);
  const spec = Array.from(shape.values);
  if (attrs.int('allowzero', 0) !== 0 && spec.includes(0))
    fail(node, 'allowzero = 1 with a 0 in the shape is not supported');
  const data = input(node, 0);
  if (ctx.isConstant(data)) {
    const value = ctx.constant(data, 'data');
    ctx.defineConstant(node.output![0], {
      ...value,
      dims: withNode(node, () => reshapeTarget(value.dims, spec)),
    });
    return;
  }
  ctx.addStep([ctx.computed(data)], { kind: 'reshape', shape: spec });
};

const addOp: Converter = (ctx, node, attrs) => {
  attrs.allowOnly([]);
  const [a, b] = [input(node, 0), input(node, 1)];
  const constA = ctx.isConstant(a);
  const constB = ctx.isConstant(b);
  if (constA && constB) fail(node, 'adding two constants is not supported');
  if (!constA && !constB) {
    ctx.addStep([ctx.computed(a), ctx.computed(b)], { kind: 'add' });
    return;
  }
  const [x, c] = constA ? [b, a] : [a, b];
  const buffer = ctx.addConstantBuffer(ctx.constant(c, 'addend'));
  ctx.addStep([ctx.computed(x)], { kind: 'addConstant', buffer });
};

/** Integer list from an optional constant input, or from an attribute (older opsets). */
function intList(
  ctx: ImportContext,
  node: NodeProto,
  attrs: NodeAttributes,
  i: number,
  name: string,
): number[] | undefined {
  if (input(node, i) !== '') return Array.from(ctx.constant(input(node, i), name).values);
  return attrs.ints(name, undefined);
}

const sliceOp: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['starts', 'ends', 'axes']);
  const x = ctx.computed(input(node, 0));
  const rank = ctx.shapeOf(x).length;
  const starts = intList(ctx, node, attrs, 1, 'starts') ?? fail(node, 'starts is required');
  const ends = intList(ctx, node, attrs, 2, 'ends') ?? fail(node, 'ends is required');
  const axes = intList(ctx, node, attrs, 3, 'axes') ?? starts.map((_, k) => k);
  const steps = intList(ctx, node, attrs, 4, 'steps') ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    fail(node, 'starts, ends, axes and steps must have the same length');
  }
  const op = {
    kind: 'slice' as const,
    starts: new Array(rank).fill(0),
    ends: new Array(rank).fill(Number.MAX_SAFE_INTEGER),
    steps: new Array(rank).fill(1),
  };
  axes.forEach((a, j) => {
    const axis = a < 0 ? a + rank : a;
    if (axis < 0 || axis >= rank) fail(node, `axis ${a} is out of range for rank ${rank}`);
    if (steps[j] < 1) fail(node, `step ${steps[j]} is not supported (only positive steps)`);
    op.starts[axis] = starts[j];
    op.ends[axis] = Math.min(ends[j], Number.MAX_SAFE_INTEGER);
    op.steps[axis] = steps[j];
  });
  ctx.addStep([x], op);
};

const padOp: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['mode', 'pads', 'value']);
  const mode = attrs.string('mode', 'constant');
  if (mode !== 'constant') fail(node, `mode "${mode}" is not supported (only constant)`);
  if (input(node, 3) !== '') fail(node, 'the axes input is not supported');
  const x = ctx.computed(input(node, 0));
  const pads = intList(ctx, node, attrs, 1, 'pads') ?? fail(node, 'pads is required');
  if (pads.some((p) => p < 0)) fail(node, `negative pads [${pads.join(', ')}] (cropping) are not supported`);
  const value = attrs.has('value')
    ? attrs.float('value', 0)
    : (scalarOf(ctx, node, 2, 'constant_value') ?? 0);
  ctx.addStep([x], { kind: 'pad', pads, value });
};

const identity: Converter = (ctx, node, attrs) => {
  attrs.allowOnly([]);
  ctx.alias(node.output![0], input(node, 0));
};

const dropout: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['ratio', 'seed', 'is_test']);
  const training = input(node, 2);
  if (training !== '' && (ctx.constant(training, 'training_mode').values[0] ?? 0) !== 0) {
    fail(node, 'training_mode = true is not supported (inference only)');
  }
  ctx.alias(node.output![0], input(node, 0));
  const mask = node.output?.[1];
  if (mask)
    ctx.unsupportedOutput(mask, `the mask output of ${nodeLabel(node)} is not supported (inference only)`);
};

const constant: Converter = (ctx, node, attrs) => {
  attrs.allowOnly(['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
  const out = node.output![0];
  const name = node.name || out;
  const t = attrs.tensor('value');
  if (t) {
    ctx.defineConstant(out, ctx.decode({ ...t, name: t.name || name }));
    return;
  }
  const scalarFloat = attrs.has('value_float') ? [attrs.float('value_float', 0)] : undefined;
  const scalarInt = attrs.has('value_int') ? [attrs.int('value_int', 0)] : undefined;
  const f = scalarFloat ?? attrs.floats('value_floats');
  const i = scalarInt ?? attrs.ints('value_ints', undefined);
  const dims = scalarFloat || scalarInt ? [] : [(f ?? i ?? []).length];
  if (f) ctx.defineConstant(out, { name, dims, dataType: DataType.FLOAT, values: Float32Array.from(f) });
  else if (i) ctx.defineConstant(out, { name, dims, dataType: DataType.INT64, values: i });
  else fail(node, 'no supported value attribute (value, value_float(s), value_int(s))');
};

/** The supported ONNX ops (default domain). */
export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Conv: conv,
  Gemm: gemm,
  MatMul: matMul,
  BatchNormalization: batchNormalization,
  Relu: activation(() => new ReLU()),
  Tanh: activation(() => new Tanh()),
  Sigmoid: activation(() => new Sigmoid()),
  Clip: clip,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  Flatten: flatten,
  Reshape: reshape,
  Add: addOp,
  Slice: sliceOp,
  Pad: padOp,
  Identity: identity,
  Dropout: dropout,
  Constant: constant,
};
