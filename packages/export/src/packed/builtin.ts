/**
 * Packed writers for core's quantized layers and nn's layers and blocks. Quantized conv/linear
 * layers become `conv`/`linear` layers with their integer codes (DoReFa: w = s·(2j − L)/L, the
 * engine's own quantized weights decoded exactly), PACT input bits and clip; ReLU, BatchNorm,
 * pooling, flatten and residual adds map one to one. Everything else is an error naming the module.
 */
import { QConv2d, QLinear, type QuantizedLayer } from '@fracbits/core';
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
  Residual,
  Sequential,
} from '@fracbits/nn';
import type { ConvInput, LayerInput, LinearInput } from '@fracbits/packed';
import { baseName, joinPath } from '../export/layers.js';
import { encodeWeights, integerLayerData, integerLayerReads } from '../export/qdq.js';
import { at, flattenOrder, type Order, permuteRows, sameOrder } from './order.js';
import type { PackedValue, PackedWriteContext, PackedWriter } from './writer.js';

// biome-ignore lint/suspicious/noExplicitAny: registry entries pair a class with its writer.
type Entry = readonly [abstract new (...args: any[]) => Module, PackedWriter<any>];

function entry<M extends Module>(
  // biome-ignore lint/suspicious/noExplicitAny: constructors of any signature.
  cls: abstract new (...args: any[]) => M,
  writer: PackedWriter<M>,
): Entry {
  return [cls, writer];
}

const shapeAfter = (m: Module, x: PackedValue) => m.outputShape([1, ...x.shape]).slice(1);

/** Codes j = (q + L)/2 of the engine's DoReFa levels q/L, [channels, k] (0-bit channels: 0). */
function weightCodesOf(wq: Float32Array, bits: readonly number[], k: number): Uint8Array {
  const { values } = encodeWeights(wq, bits.length, bits, 'odd');
  const codes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const b = bits[Math.floor(i / k)];
    codes[i] = b === 0 ? 0 : (values[i] + 2 ** b - 1) / 2;
  }
  return codes;
}

/**
 * Reorders the taps of every row so that the layer reads its input in the stored channel order:
 * tap (p, ·) of row o becomes the engine's tap (c, ·) with c the engine channel at stored position
 * p of o's group. Throws when the order moves a channel out of its group.
 */
function permuteTaps(m: QuantizedLayer, codes: Uint8Array, k: number, x: PackedValue): Uint8Array {
  if (x.order === null) return codes;
  const out = new Uint8Array(codes.length);
  const rows = codes.length / k;
  if (m instanceof QLinear) {
    const features = flattenOrder(x.order, x.shape) as Order;
    for (let o = 0; o < rows; o++) for (let f = 0; f < k; f++) out[o * k + f] = codes[o * k + features[f]];
    return out;
  }
  const g = m.geometry;
  const perGroupIn = g.inChannels / g.groups;
  const perGroupOut = rows / g.groups;
  const taps = k / perGroupIn;
  for (let o = 0; o < rows; o++) {
    const group = Math.floor(o / perGroupOut);
    for (let p = 0; p < perGroupIn; p++) {
      const local = at(x.order, group * perGroupIn + p) - group * perGroupIn;
      if (local < 0 || local >= perGroupIn) {
        throw new Error(`its input channels are reordered across its ${g.groups} groups`);
      }
      out.set(codes.subarray(o * k + local * taps, o * k + (local + 1) * taps), o * k + p * taps);
    }
  }
  return out;
}

/** Checks that a requested output order keeps every channel inside its group. */
function checkRowOrder(m: QuantizedLayer, want: Order): void {
  const channels = m.weight.shape[0];
  const groups = m instanceof QConv2d ? m.geometry.groups : 1;
  const per = channels / groups;
  if (want.length !== channels || want.some((c, r) => Math.floor(c / per) !== Math.floor(r / per))) {
    throw new Error(`cannot write its ${channels} output channels in the order the residual add needs`);
  }
}

const quantized: PackedWriter<QuantizedLayer> = {
  reads: (m) => integerLayerReads(m),
  write(ctx, m, x, path, data, want) {
    const name = baseName(path);
    const who = `${m.constructor.name} "${name}"`;
    if (m.signedInput) {
      throw new Error(
        'double-sided PACT (a signed input) has no packed encoding: the format stores unsigned PACT codes of inputs that follow a ReLU',
      );
    }
    const d = integerLayerData(who, m, data);
    if (d.inputBits === 0)
      throw new Error('a 0-bit input activation makes the layer constant; nothing to pack');
    if (d.alpha !== null && !(d.alpha > 0 && Number.isFinite(d.alpha))) {
      throw new Error(`the PACT clip |α| must be positive and finite, got ${d.alpha}`);
    }
    const channels = m.weight.shape[0];
    const k = d.wq.length / channels;
    const bits = d.weightBits.length === 1 ? new Array<number>(channels).fill(d.weightBits[0]) : d.weightBits;
    const rows = want ?? null;
    if (rows) checkRowOrder(m, rows);
    const codes = permuteRows(permuteTaps(m, weightCodesOf(d.wq, bits, k), k, x), k, rows);
    const common = {
      name,
      weightBits: rows ? Array.from(rows, (r) => bits[r]) : bits,
      activation: d.inputBits === null ? null : { bits: d.inputBits, clip: d.alpha as number },
      codes,
      scales: d.scale,
      bias: d.bias ? permuteRows(d.bias, 1, rows) : null,
    };
    let layer: ConvInput | LinearInput;
    if (m instanceof QConv2d) {
      const g = m.geometry;
      layer = {
        ...common,
        op: 'conv',
        outChannels: channels,
        kernel: g.kernel,
        stride: g.stride,
        padding: g.padding,
        dilation: g.dilation,
        groups: g.groups,
      };
    } else {
      layer = { ...common, op: 'linear', outFeatures: channels };
    }
    ctx.record({
      name,
      kind: m instanceof QConv2d ? 'conv' : 'linear',
      weightBits: [...d.weightBits],
      inputBits: d.inputBits,
      alpha: d.alpha,
      weightCount: d.wq.length,
      packedBytes: (k * bits.reduce((s, b) => s + b, 0)) / 8,
    });
    return ctx.emit(layer, [x], shapeAfter(m, x), rows);
  },
};

const floatLayer: PackedWriter<Conv2d | Linear> = {
  write(_ctx, m) {
    throw new Error(
      `a float ${m.constructor.name}: the packed format stores quantized layers only (quantize the model with @fracbits/core and set integer bits)`,
    );
  },
};

/** A layer without parameters that keeps the channel order. */
function simple<M extends Module>(build: (m: M, name: string) => LayerInput): PackedWriter<M> {
  return {
    channelwise: true,
    write: (ctx, m, x, path) => ctx.emit(build(m, baseName(path)), [x], shapeAfter(m, x), x.order),
  };
}

const batchNorm: PackedWriter<BatchNorm2d | BatchNorm1d> = {
  channelwise: true,
  reads: (m) => [m.weight, m.bias, m.runningMean, m.runningVar],
  write(ctx, m, x, path, data) {
    const [gamma, beta, mean, variance] = data.map((v) => permuteRows(v, 1, x.order));
    const layer: LayerInput = { name: baseName(path), op: 'bn', eps: m.eps, gamma, beta, mean, variance };
    return ctx.emit(layer, [x], x.shape, x.order);
  },
};

const passThrough: PackedWriter = { channelwise: true, write: (_ctx, _m, x) => x };

/** Global average pooling: an avg pool over the whole plane, then (GlobalAvgPool) a flatten. */
function globalPool(ctx: PackedWriteContext, x: PackedValue, path: string, flatten: boolean): PackedValue {
  if (x.shape.length !== 3) throw new Error(`expected a [C, H, W] input, got [${x.shape.join(', ')}]`);
  const [c, h, w] = x.shape;
  const name = baseName(path);
  const layer: LayerInput = { name, op: 'pool', kind: 'avg', kernel: [h, w], stride: [h, w] };
  const pooled = ctx.emit(layer, [x], [c, 1, 1], x.order);
  // With one element per channel the feature order is the channel order.
  return flatten ? ctx.emit({ name: `${name}.flatten`, op: 'flatten' }, [pooled], [c], x.order) : pooled;
}

/** a + b, after checking that both hold their channels in the same order. */
function residualAdd(ctx: PackedWriteContext, a: PackedValue, b: PackedValue, path: string): PackedValue {
  if (!sameOrder(a.order, b.order)) {
    throw new Error(
      'the two operands of the residual add hold their channels in different orders and neither can be reordered to match',
    );
  }
  return ctx.emit({ name: baseName(path), op: 'add' }, [a, b], a.shape, a.order);
}

/**
 * Children in order; an order request goes to the last child that sets an order (the ones after
 * it are channel-wise and keep it).
 */
function writeChain(
  ctx: PackedWriteContext,
  children: readonly (readonly [string, Module])[],
  x: PackedValue,
  path: string,
  want: Order | null | undefined,
): PackedValue {
  let last = children.length - 1;
  while (last >= 0 && ctx.channelwise(children[last][1])) last--;
  let v = x;
  for (const [i, [key, child]] of children.entries()) {
    v = ctx.write(child, v, joinPath(path, key), i === last ? want : undefined);
  }
  return v;
}

/**
 * ResNet's option-A shortcut (x[:, :, ::s, ::s], channels zero-padded half before, half after).
 * Subsampling alone is a 1×1 max pool of stride s. With padding it is a depthwise 1×1 conv of
 * stride s on the float input with m = out/in outputs per input channel: the first at 1 bit
 * (w = +1, exact) and the others at 0 bits (exactly 0); the output holds the engine's channels
 * in the order that gives, which the exporter carries along (order.ts).
 */
const channelPad = entry(ChannelPadShortcut, {
  write(ctx, m, x, path) {
    const name = baseName(path);
    const { inChannels: cin, outChannels: cout, stride: s } = m;
    const shape = shapeAfter(m, x);
    const extra = cout - cin;
    if (extra === 0) {
      if (s === 1) return x;
      return ctx.emit({ name, op: 'pool', kind: 'max', kernel: 1, stride: s }, [x], shape, x.order);
    }
    if (cout % cin !== 0) {
      throw new Error(
        `the packed format can express this shortcut only when its ${cout} output channels are a multiple of its ${cin} input channels`,
      );
    }
    const per = cout / cin;
    const before = Math.floor(extra / 2);
    const order = new Int32Array(cout);
    const bits = new Array<number>(cout).fill(0);
    const codes = new Uint8Array(cout);
    let pad = 0;
    for (let g = 0; g < cin; g++) {
      order[g * per] = before + at(x.order, g);
      bits[g * per] = 1;
      codes[g * per] = 1;
      for (let r = 1; r < per; r++, pad++) order[g * per + r] = pad < before ? pad : pad + cin;
    }
    const layer: ConvInput = {
      name,
      op: 'conv',
      outChannels: cout,
      kernel: 1,
      stride: s,
      groups: cin,
      weightBits: bits,
      activation: null,
      codes,
    };
    return ctx.emit(layer, [x], shape, order);
  },
});

const sequential = entry(Sequential, {
  write: (ctx, m, x, path, _data, want) => writeChain(ctx, m.children(), x, path, want),
});

const residual = entry(Residual, {
  write(ctx, m, x, path) {
    // The shortcut first: its channel order (fixed by its structure) is what the body must match.
    const skip = ctx.write(m.shortcut, x, joinPath(path, 'shortcut'));
    const body = ctx.write(m.body, x, joinPath(path, 'body'), skip.order);
    return ctx.write(m.post, residualAdd(ctx, body, skip, joinPath(path, 'add')), joinPath(path, 'post'));
  },
});

const basicBlock = entry(BasicBlock, {
  write(ctx, m, x, path) {
    const skip = m.downsample ? ctx.write(m.downsample, x, joinPath(path, 'downsample')) : x;
    const keys = ['conv1', 'bn1', 'relu', 'conv2', 'bn2'] as const;
    const y = writeChain(
      ctx,
      keys.map((key) => [key, m[key]] as const),
      x,
      path,
      skip.order,
    );
    return ctx.write(m.relu, residualAdd(ctx, y, skip, joinPath(path, 'add')), joinPath(path, 'relu'));
  },
});

const invertedResidual = entry(InvertedResidual, {
  write(ctx, m, x, path) {
    const y = ctx.write(m.conv, x, joinPath(path, 'conv'), m.useResidual ? x.order : undefined);
    return m.useResidual ? residualAdd(ctx, x, y, joinPath(path, 'add')) : y;
  },
});

const depthwiseSeparable = entry(DepthwiseSeparable, {
  write(ctx, m, x, path, _data, want) {
    const y = ctx.write(m.depthwise, x, joinPath(path, 'depthwise'));
    return ctx.write(m.pointwise, y, joinPath(path, 'pointwise'), want);
  },
});

export const PACKED_WRITERS: readonly Entry[] = [
  entry(QConv2d, quantized),
  entry(QLinear, quantized),
  entry(Conv2d, floatLayer),
  entry(Linear, floatLayer),
  entry(BatchNorm2d, batchNorm),
  entry(BatchNorm1d, batchNorm),
  entry(
    ReLU,
    simple((_m, name) => ({ name, op: 'relu' })),
  ),
  entry(
    MaxPool2d,
    simple((m: MaxPool2d, name) => ({
      name,
      op: 'pool',
      kind: 'max',
      kernel: m.kernel,
      stride: m.stride,
      padding: m.padding,
    })),
  ),
  entry(
    AvgPool2d,
    simple((m: AvgPool2d, name) => ({
      name,
      op: 'pool',
      kind: 'avg',
      kernel: m.kernel,
      stride: m.stride,
      padding: m.padding,
      countIncludePad: m.countIncludePad,
    })),
  ),
  entry(GlobalAvgPool, { channelwise: true, write: (ctx, _m, x, path) => globalPool(ctx, x, path, true) }),
  entry(AdaptiveAvgPool2d, {
    channelwise: true,
    write: (ctx, _m, x, path) => globalPool(ctx, x, path, false),
  }),
  entry(Flatten, {
    write(ctx, m, x, path) {
      if (m.startDim !== 1)
        throw new Error(`only Flatten(startDim 1) has a packed op, got startDim ${m.startDim}`);
      return ctx.emit(
        { name: baseName(path), op: 'flatten' },
        [x],
        shapeAfter(m, x),
        flattenOrder(x.order, x.shape),
      );
    },
  }),
  entry(Identity, passThrough),
  entry(Dropout, passThrough),
  channelPad,
  sequential,
  residual,
  basicBlock,
  invertedResidual,
  depthwiseSeparable,
];
