/**
 * ONNX writers for @fracbits/nn's layers and blocks and for the imported graph module. Layers
 * write their float parameters as initializers; blocks write their children in the order their
 * forward applies them. BatchNorm is written as BatchNormalization with its running statistics
 * (not folded into the conv), exactly what eval mode computes.
 */
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BasicBlock,
  BatchNorm1d,
  BatchNorm2d,
  ChannelPadShortcut,
  Conv2d,
  DepthwiseSeparable,
  Dropout,
  Flatten,
  GlobalAvgPool,
  Identity,
  InvertedResidual,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  ReLU6,
  Residual,
  Sequential,
  Sigmoid,
  Tanh,
} from '@fracbits/nn';
import { broadcastShapes } from '@fracbits/tensor';
import { Clip, flattenTarget, OnnxGraphModule, reshapeTarget } from '../import/graph-module.js';
import { attr } from '../proto/builder.js';
import { baseName, convNode, joinPath, linearNode } from './layers.js';
import type { ModuleWriter, OnnxValue, WriteContext } from './writer.js';

// biome-ignore lint/suspicious/noExplicitAny: registry entries pair a class with its writer.
export type WriterEntry = readonly [abstract new (...args: any[]) => Module, ModuleWriter<any>];

function entry<M extends Module>(
  // biome-ignore lint/suspicious/noExplicitAny: constructors of any signature.
  cls: abstract new (...args: any[]) => M,
  writer: ModuleWriter<M>,
): WriterEntry {
  return [cls, writer];
}

/** A parameter-free elementwise op keeping the shape. */
function elementwise(opType: string): ModuleWriter {
  return { write: (ctx, _m, x, path) => ctx.op(opType, [x.name], x.shape, baseName(path)) };
}

const passThrough: ModuleWriter = { write: (_ctx, _m, x) => x };

function clipNode(ctx: WriteContext, x: OnnxValue, path: string, lo: number, hi: number): OnnxValue {
  const name = baseName(path);
  const min = ctx.graph.floats(`${name}.min`, [], [lo]);
  const max = ctx.graph.floats(`${name}.max`, [], [hi]);
  return ctx.op('Clip', [x.name, min, max], x.shape, name);
}

function add(ctx: WriteContext, a: OnnxValue, b: OnnxValue, name: string): OnnxValue {
  return ctx.op('Add', [a.name, b.name], broadcastShapes(a.shape, b.shape, 'Add'), name);
}

/** A float Conv2d's nodes from its host weight `w` and bias `b` (also used for wrapped layers). */
export function floatConv(
  ctx: WriteContext,
  path: string,
  x: OnnxValue,
  m: Conv2d,
  w: Float32Array,
  b?: Float32Array,
): OnnxValue {
  const name = baseName(path);
  const weight = ctx.graph.floats(`${name}.weight`, m.weight.shape, w);
  const bias = b ? ctx.graph.floats(`${name}.bias`, [m.outChannels], b) : null;
  return convNode(ctx, name, x, m.geometry, weight, bias, m.outputShape(x.shape));
}

/** A float Linear's nodes: Gemm for matrices, MatMul with a transposed constant weight otherwise. */
export function floatLinear(
  ctx: WriteContext,
  path: string,
  x: OnnxValue,
  m: Linear,
  w: Float32Array,
  b?: Float32Array,
): OnnxValue {
  const name = baseName(path);
  const bias = b ? ctx.graph.floats(`${name}.bias`, [m.outFeatures], b) : null;
  const out = m.outputShape(x.shape);
  if (x.shape.length === 2) {
    return linearNode(
      ctx,
      name,
      x,
      { weight: ctx.graph.floats(`${name}.weight`, m.weight.shape, w) },
      bias,
      out,
    );
  }
  // MatMul takes Wᵀ; storing it transposed keeps the weight a constant (importable) initializer.
  const [o, i] = m.weight.shape;
  const t = new Float32Array(o * i);
  for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = w[r * i + c];
  return linearNode(ctx, name, x, { transposed: ctx.graph.floats(`${name}.weight_t`, [i, o], t) }, bias, out);
}

const conv2d = entry(Conv2d, {
  reads: (m) => (m.bias ? [m.weight, m.bias] : [m.weight]),
  write: (ctx, m, x, path, [w, b]) => floatConv(ctx, path, x, m, w, b),
});

const linear = entry(Linear, {
  reads: (m) => (m.bias ? [m.weight, m.bias] : [m.weight]),
  write: (ctx, m, x, path, [w, b]) => floatLinear(ctx, path, x, m, w, b),
});

const batchNorm: ModuleWriter<BatchNorm2d | BatchNorm1d> = {
  reads: (m) => [m.weight, m.bias, m.runningMean, m.runningVar],
  write(ctx, m, x, path, data) {
    const name = baseName(path);
    const c = [m.numFeatures];
    const params = ['scale', 'bias', 'mean', 'var'].map((p, i) =>
      ctx.graph.floats(`${name}.${p}`, c, data[i]),
    );
    return ctx.op('BatchNormalization', [x.name, ...params], m.outputShape(x.shape), name, [
      attr.float('epsilon', m.eps),
      // ONNX momentum weighs the running value (PyTorch's weighs the batch); unused at inference.
      attr.float('momentum', 1 - m.momentum),
    ]);
  },
};

const maxPool = entry(MaxPool2d, {
  write: (ctx, m, x, path) =>
    ctx.op('MaxPool', [x.name], m.outputShape(x.shape), baseName(path), [
      attr.ints('kernel_shape', m.kernel),
      attr.ints('strides', m.stride),
      attr.ints('pads', [m.padding[0], m.padding[1], m.padding[0], m.padding[1]]),
    ]),
});

const avgPool = entry(AvgPool2d, {
  write: (ctx, m, x, path) =>
    ctx.op('AveragePool', [x.name], m.outputShape(x.shape), baseName(path), [
      attr.ints('kernel_shape', m.kernel),
      attr.ints('strides', m.stride),
      attr.ints('pads', [m.padding[0], m.padding[1], m.padding[0], m.padding[1]]),
      attr.int('count_include_pad', m.countIncludePad ? 1 : 0),
    ]),
});

const globalAvgPool = entry(GlobalAvgPool, {
  write(ctx, m, x, path) {
    const name = baseName(path);
    const pooled = ctx.op('GlobalAveragePool', [x.name], [x.shape[0], x.shape[1], 1, 1], `${name}.pool`);
    return ctx.op('Flatten', [pooled.name], m.outputShape(x.shape), name, [attr.int('axis', 1)]);
  },
});

const adaptiveAvgPool = entry(AdaptiveAvgPool2d, {
  write: (ctx, m, x, path) => ctx.op('GlobalAveragePool', [x.name], m.outputShape(x.shape), baseName(path)),
});

const flatten = entry(Flatten, {
  write(ctx, m, x, path) {
    const name = baseName(path);
    const out = m.outputShape(x.shape);
    if (m.startDim === 1) return ctx.op('Flatten', [x.name], out, name, [attr.int('axis', 1)]);
    // nn's Flatten keeps every dimension before startDim (ONNX Flatten makes a matrix).
    const shape = ctx.graph.int64s(`${name}.shape`, [m.startDim + 1], [...new Array(m.startDim).fill(0), -1]);
    return ctx.op('Reshape', [x.name, shape], out, name);
  },
});

const channelPad = entry(ChannelPadShortcut, {
  write(ctx, m, x, path) {
    const name = baseName(path);
    const out = m.outputShape(x.shape);
    let v = x;
    if (m.stride !== 1) {
      const g = ctx.graph;
      const sliced = [x.shape[0], x.shape[1], out[2], out[3]];
      const inputs = [
        x.name,
        g.int64s(`${name}.starts`, [2], [0, 0]),
        g.int64s(`${name}.ends`, [2], [x.shape[2], x.shape[3]]),
        g.int64s(`${name}.axes`, [2], [2, 3]),
        g.int64s(`${name}.steps`, [2], [m.stride, m.stride]),
      ];
      v = ctx.op('Slice', inputs, sliced, `${name}.slice`);
    }
    const extra = m.outChannels - m.inChannels;
    if (extra === 0) return v;
    const before = Math.floor(extra / 2);
    const pads = ctx.graph.int64s(`${name}.pads`, [8], [0, before, 0, 0, 0, extra - before, 0, 0]);
    return ctx.op('Pad', [v.name, pads], out, name);
  },
});

const sequential = entry(Sequential, {
  write(ctx, m, x, path) {
    let v = x;
    for (const [name, child] of m.children()) v = ctx.write(child, v, joinPath(path, name));
    return v;
  },
});

const residual = entry(Residual, {
  write(ctx, m, x, path) {
    const body = ctx.write(m.body, x, joinPath(path, 'body'));
    const skip = ctx.write(m.shortcut, x, joinPath(path, 'shortcut'));
    return ctx.write(m.post, add(ctx, body, skip, joinPath(path, 'add')), joinPath(path, 'post'));
  },
});

const basicBlock = entry(BasicBlock, {
  write(ctx, m, x, path) {
    let y = x;
    for (const key of ['conv1', 'bn1', 'relu', 'conv2', 'bn2'] as const)
      y = ctx.write(m[key], y, joinPath(path, key));
    const skip = m.downsample ? ctx.write(m.downsample, x, joinPath(path, 'downsample')) : x;
    return ctx.write(m.relu, add(ctx, y, skip, joinPath(path, 'add')), joinPath(path, 'relu'));
  },
});

const invertedResidual = entry(InvertedResidual, {
  write(ctx, m, x, path) {
    const y = ctx.write(m.conv, x, joinPath(path, 'conv'));
    return m.useResidual ? add(ctx, x, y, joinPath(path, 'add')) : y;
  },
});

const depthwiseSeparable = entry(DepthwiseSeparable, {
  write(ctx, m, x, path) {
    const y = ctx.write(m.depthwise, x, joinPath(path, 'depthwise'));
    return ctx.write(m.pointwise, y, joinPath(path, 'pointwise'));
  },
});

/** The constants read by a graph module's addConstant steps, in step order. */
function graphConstants(m: OnnxGraphModule) {
  return m.steps.flatMap((s) => (s.op.kind === 'addConstant' ? [m.constant(s.op.buffer)] : []));
}

const graphModule = entry(OnnxGraphModule, {
  reads: (m) => graphConstants(m),
  write(ctx, m, x, path, data) {
    const values = new Map<string, OnnxValue>([[m.inputName, x]]);
    const constants = graphConstants(m);
    let constantIndex = 0;
    for (const step of m.steps) {
      const inputs = step.inputs.map((v) => values.get(v)!);
      const shape = m.stepShape(
        step,
        inputs.map((v) => v.shape),
      );
      const op = step.op;
      const name = joinPath(
        path,
        op.kind === 'module' ? op.name : step.output.replace(/[^A-Za-z0-9_.]+/g, '_'),
      );
      let out: OnnxValue;
      switch (op.kind) {
        case 'module':
          out = ctx.write(m.getModule(op.name)!, inputs[0], name);
          break;
        case 'add':
          out = ctx.op('Add', [inputs[0].name, inputs[1].name], shape, name);
          break;
        case 'addConstant': {
          const c = constants[constantIndex];
          const value = ctx.graph.floats(`${name}.addend`, c.shape, data[constantIndex++]);
          out = ctx.op('Add', [inputs[0].name, value], shape, name);
          break;
        }
        case 'reshape':
          reshapeTarget(inputs[0].shape, op.shape);
          out = ctx.op(
            'Reshape',
            [inputs[0].name, ctx.graph.int64s(`${name}.shape`, [op.shape.length], op.shape)],
            shape,
            name,
          );
          break;
        case 'flatten':
          flattenTarget(inputs[0].shape, op.axis);
          out = ctx.op('Flatten', [inputs[0].name], shape, name, [attr.int('axis', op.axis)]);
          break;
        case 'transpose':
          out = ctx.op('Transpose', [inputs[0].name], shape, name, [attr.ints('perm', [1, 0])]);
          break;
        case 'slice': {
          const rank = op.starts.length;
          const ints = (what: string, v: readonly number[]) => ctx.graph.int64s(`${name}.${what}`, [rank], v);
          const axes = Array.from({ length: rank }, (_, k) => k);
          const args = [
            inputs[0].name,
            ints('starts', op.starts),
            ints('ends', op.ends),
            ints('axes', axes),
            ints('steps', op.steps),
          ];
          out = ctx.op('Slice', args, shape, name);
          break;
        }
        case 'pad': {
          const pads = ctx.graph.int64s(`${name}.pads`, [op.pads.length], op.pads);
          const value = ctx.graph.floats(`${name}.value`, [], [op.value]);
          out = ctx.op('Pad', [inputs[0].name, pads, value], shape, name);
          break;
        }
      }
      values.set(step.output, out);
    }
    return values.get(m.outputName)!;
  },
});

export const NN_WRITERS: readonly WriterEntry[] = [
  conv2d,
  linear,
  entry(BatchNorm2d, batchNorm),
  entry(BatchNorm1d, batchNorm),
  entry(ReLU, elementwise('Relu')),
  entry(ReLU6, { write: (ctx, _m, x, path) => clipNode(ctx, x, path, 0, 6) }),
  entry(Clip, { write: (ctx, m, x, path) => clipNode(ctx, x, path, m.min, m.max) }),
  entry(Tanh, elementwise('Tanh')),
  entry(Sigmoid, elementwise('Sigmoid')),
  entry(Identity, passThrough),
  entry(Dropout, passThrough),
  maxPool,
  avgPool,
  globalAvgPool,
  adaptiveAvgPool,
  flatten,
  channelPad,
  sequential,
  residual,
  basicBlock,
  invertedResidual,
  depthwiseSeparable,
  graphModule,
];
