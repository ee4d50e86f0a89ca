/**
 * QDQ writers for @fracbits/core's quantized layers (integer bits after discretisation).
 *
 * Weights. The engine's DoReFa weights for b bits are Wq = q/(2^b − 1) with q = 2j − (2^b − 1)
 * an odd integer in [−(2^b − 1), 2^b − 1] (0 for a pruned, 0-bit channel). The writer computes
 * Wq with the engine itself (quantizeWeight), recovers q exactly, and stores it as a
 * DequantizeLinear initializer:
 * - encoding 'odd' (default, a plain QDQ pattern): x = q, scale 1/(2^b − 1), zero point 0. q needs
 *   b + 1 signed bits: INT4 for b ≤ 3, INT8 for b ≤ 7, INT16 for b = 8 (the pinned layers);
 * - encoding 'offset' (exact b-bit storage): x = k = (q − 1)/2 ∈ [−2^(b−1), 2^(b−1) − 1], scale
 *   2/(2^b − 1), then an Add of 1/(2^b − 1): INT4 for b ≤ 4, INT8 for b ≤ 8. Runtimes fold the
 *   constant weight subgraph once at load.
 * Kernel-wise bits give per-output-channel scales (axis 0); the storage type is the widest
 * channel's. The SAT rescale, when on, is folded into the scales.
 *
 * Activations. PACT with integer bits b and clip a = |α| is Clip(0, a) → QuantizeLinear →
 * DequantizeLinear with scale a/(2^b − 1), zero point 0, UINT4 (b ≤ 4) or UINT8 (b ≤ 8): both
 * round half to even, so the levels are the engine's. Double-sided PACT shifts by a around an unsigned QDQ
 * with scale 2a/(2^b − 1).
 */
import { QConv2d, QLinear, type QuantizedLayer, quantizeWeight } from '@fracbits/core';
import type { Tensor } from '@fracbits/tensor';
import { attr } from '../proto/builder.js';
import { rawByteLength } from '../proto/tensor-data.js';
import { DataType, dataTypeName } from '../proto/types.js';
import { baseName, convNode, linearNode } from './layers.js';
import { floatConv, floatLinear } from './nn-writers.js';
import type { ModuleWriter, OnnxValue, WriteContext } from './writer.js';

/** How DoReFa weight levels are stored (see the module comment). */
export type WeightEncoding = 'odd' | 'offset';

export const WEIGHT_ENCODINGS: readonly WeightEncoding[] = ['odd', 'offset'];

/** The integer weights of one layer, ready for a DequantizeLinear initializer. */
export interface EncodedWeights {
  /** INT4, INT8 or INT16 (TensorProto data type). */
  readonly dataType: number;
  /** The stored integers (q for 'odd', k for 'offset'), row-major like the weight. */
  readonly values: Int32Array;
  /** One scale per output channel (kernel-wise bits) or one for the tensor. */
  readonly scales: Float32Array;
  /** Per-scale additive offsets ('offset' encoding), else null. */
  readonly offsets: Float32Array | null;
}

function storageFor(maxBits: number, encoding: WeightEncoding): number {
  const signedBits = encoding === 'odd' ? maxBits + 1 : maxBits;
  if (signedBits <= 4) return DataType.INT4;
  if (signedBits <= 8) return DataType.INT8;
  if (signedBits <= 16) return DataType.INT16;
  throw new Error(`${maxBits}-bit weights do not fit a 16-bit integer`);
}

/**
 * Recovers the integers of DoReFa weights `wq` (the engine's output at `bits`, one entry or one
 * per output channel) and encodes them. `scale` multiplies every level (the SAT rescale; 1 when
 * off). Throws if a value is not a level of its channel's bit-width.
 */
export function encodeWeights(
  wq: Float32Array,
  outChannels: number,
  bits: readonly number[],
  encoding: WeightEncoding,
  scale = 1,
): EncodedWeights {
  if (!WEIGHT_ENCODINGS.includes(encoding)) {
    throw new Error(`encodeWeights: expected encoding 'odd' | 'offset', got '${encoding}'`);
  }
  if (bits.length !== 1 && bits.length !== outChannels) {
    throw new Error(`encodeWeights: expected 1 or ${outChannels} bit-widths, got ${bits.length}`);
  }
  for (const b of bits) {
    if (!Number.isInteger(b) || b < 0)
      throw new Error(`encodeWeights: bit-widths must be integers ≥ 0, got ${b}`);
  }
  const perChannel = wq.length / outChannels;
  const values = new Int32Array(wq.length);
  for (let i = 0; i < wq.length; i++) {
    const o = Math.floor(i / perChannel);
    const b = bits.length === 1 ? bits[0] : bits[o];
    const n = 2 ** b - 1;
    const scaled = wq[i] * n;
    const q = Math.round(scaled);
    const isLevel =
      b === 0
        ? wq[i] === 0
        : Math.abs(scaled - q) < 1e-3 * Math.max(1, n) && Math.abs(q) % 2 === 1 && Math.abs(q) <= n;
    if (!isLevel) {
      throw new Error(
        `encodeWeights: weight ${i} (channel ${o}) = ${wq[i]} is not a ${b}-bit DoReFa level ((2^b − 1)·w = ${scaled})`,
      );
    }
    values[i] = encoding === 'odd' || b === 0 ? q : (q - 1) / 2;
  }
  const scales = Float32Array.from(bits, (b) =>
    b === 0 ? 1 : (encoding === 'odd' ? scale : 2 * scale) / (2 ** b - 1),
  );
  const offsets =
    encoding === 'offset' ? Float32Array.from(bits, (b) => (b === 0 ? 0 : scale / (2 ** b - 1))) : null;
  return { dataType: storageFor(Math.max(...bits), encoding), values, scales, offsets };
}

/** What the QDQ export stored for one quantized layer. */
export interface LayerExport {
  readonly name: string;
  readonly kind: 'conv' | 'linear';
  /** Weight bits: one entry (layer-wise or pinned) or one per output channel. */
  readonly weightBits: number[];
  /** Bits of the quantized input activation, or null when the input is not quantized. */
  readonly inputBits: number | null;
  /** The PACT clip |α| of the input, or null. */
  readonly alpha: number | null;
  readonly encoding: WeightEncoding;
  /** Storage type of the integer weights ('INT4', 'INT8', 'INT16'). */
  readonly storage: string;
  readonly weightCount: number;
  /** Bytes of the stored integer weight initializer (4-bit types packed two per byte). */
  readonly weightBytes: number;
  /** Σ bits / 8 over the weights: the size at exactly the searched bit-widths. */
  readonly packedBytes: number;
  /** Bytes of the float32 scales, zero points and offsets. */
  readonly quantParamBytes: number;
  /** Bytes of the float32 bias (0 without one). */
  readonly biasBytes: number;
}

function integerBits(who: string, what: string, values: Float32Array): number[] {
  return Array.from(values, (v) => {
    if (!Number.isInteger(v)) {
      throw new Error(`${who}: ${what} bit-width ${v} is fractional; discretise first (setIntegerBits)`);
    }
    return v;
  });
}

/**
 * Clip → QuantizeLinear → DequantizeLinear reproducing PACT at integer `bits`. The zero point
 * (0) is omitted and QuantizeLinear's `output_dtype` picks UINT4/UINT8: an explicit UINT4
 * zero-point input makes onnxruntime 1.30's Clip→QuantizeLinear fusion abort the session.
 */
function activationQdq(
  ctx: WriteContext,
  name: string,
  x: OnnxValue,
  bits: number,
  alpha: number,
  signed: boolean,
): OnnxValue {
  if (bits < 1) throw new Error(`0-bit input activations cannot be exported (the input would be constant)`);
  const g = ctx.graph;
  const n = 2 ** bits - 1;
  const type = bits <= 4 ? DataType.UINT4 : bits <= 8 ? DataType.UINT8 : DataType.UINT16;
  const lo = g.floats(`${name}.input_clip_min`, [], [signed ? -alpha : 0]);
  const hi = g.floats(`${name}.input_clip_max`, [], [alpha]);
  let v = ctx.op('Clip', [x.name, lo, hi], x.shape, `${name}.input_clip`);
  if (signed) v = ctx.op('Add', [v.name, hi], x.shape, `${name}.input_shift`);
  const scale = g.floats(`${name}.input_scale`, [], [(signed ? 2 * alpha : alpha) / n]);
  const q = ctx.op('QuantizeLinear', [v.name, scale], x.shape, `${name}.input_quantized`, [
    attr.int('output_dtype', type),
  ]);
  v = ctx.op('DequantizeLinear', [q.name, scale], x.shape, `${name}.input_dequantized`);
  if (signed) v = ctx.op('Sub', [v.name, hi], x.shape, `${name}.input_unshift`);
  return v;
}

/** DequantizeLinear (+ Add for 'offset') producing the float weight value. */
function weightDq(ctx: WriteContext, name: string, shape: readonly number[], enc: EncodedWeights): string {
  const g = ctx.graph;
  const perChannel = enc.scales.length > 1;
  const paramDims = perChannel ? [shape[0]] : [];
  const q = g.initializer(`${name}.weight_quantized`, {
    dims: shape,
    dataType: enc.dataType,
    values: enc.values,
  });
  const scale = g.floats(`${name}.weight_scale`, paramDims, enc.scales);
  const zero = g.initializer(`${name}.weight_zero_point`, {
    dims: paramDims,
    dataType: enc.dataType,
    values: new Array(enc.scales.length).fill(0),
  });
  const attributes = perChannel ? [attr.int('axis', 0)] : [];
  let w = ctx.op('DequantizeLinear', [q, scale, zero], shape, `${name}.weight_dequantized`, attributes);
  if (enc.offsets) {
    // Broadcast one offset per output channel along axis 0.
    const dims = perChannel ? [shape[0], ...new Array(shape.length - 1).fill(1)] : [];
    const offset = g.floats(`${name}.weight_offset`, dims, enc.offsets);
    w = ctx.op('Add', [w.name, offset], shape, `${name}.weight_exact`);
  }
  return w.name;
}

/** The SAT factor the engine applied: satWq / wq at the largest |wq|. */
function satFactor(wq: Float32Array, sat: Float32Array): number {
  let k = 0;
  for (let i = 1; i < wq.length; i++) if (Math.abs(wq[i]) > Math.abs(wq[k])) k = i;
  return wq[k] === 0 ? 1 : sat[k] / wq[k];
}

/**
 * The host values every integer-model writer (QDQ ONNX, packed) needs from a quantized layer, in
 * the order {@link integerLayerData} decodes them: the engine's DoReFa weights at the stored bits,
 * those bits, the input's bits and α, the bias, the SAT-rescaled weights.
 */
export function integerLayerReads(m: QuantizedLayer): Tensor[] {
  const who = m.constructor.name;
  if (m.mode === 'float')
    throw new Error(`${who} is in 'float' mode; set integer bits (setIntegerBits) first`);
  const backend = m.weight.backend;
  const wBits = m.bitsW.forwardBits('fixed', backend);
  const reads: Tensor[] = [quantizeWeight(m.weight, wBits), wBits];
  if (m.bitsA && m.alpha) reads.push(m.bitsA.forwardBits('fixed', backend), m.alpha);
  if (m.bias) reads.push(m.bias);
  if (m.satRescale) reads.push(quantizeWeight(m.weight, wBits, { satFanOut: m.weight.shape[0] }));
  return reads;
}

/** A quantized layer at integer bits, from the host values of {@link integerLayerReads}. */
export interface IntegerLayerData {
  /** DoReFa weights q/(2^b − 1) (before any SAT factor), row-major like the weight. */
  readonly wq: Float32Array;
  /** One entry (layer-wise or pinned) or one per output channel. */
  readonly weightBits: number[];
  /** Bits of the quantized input, or null when the input is not quantized. */
  readonly inputBits: number | null;
  /** The PACT clip |α|, or null. */
  readonly alpha: number | null;
  readonly bias: Float32Array | null;
  /** The SAT factor folded into every weight (1 when the rescale is off). */
  readonly scale: number;
}

/** Decodes {@link integerLayerReads}' values; `who` names the layer in errors (fractional bits). */
export function integerLayerData(
  who: string,
  m: QuantizedLayer,
  data: readonly Float32Array[],
): IntegerLayerData {
  const [wq, wBits, ...rest] = data;
  const weightBits = integerBits(who, 'weight', wBits);
  let i = 0;
  let inputBits: number | null = null;
  let alpha: number | null = null;
  if (m.bitsA && m.alpha) {
    inputBits = integerBits(who, 'input', rest[i++])[0];
    alpha = Math.abs(rest[i++][0]);
  }
  const bias = m.bias ? rest[i++] : null;
  const scale = m.satRescale ? satFactor(wq, rest[i++]) : 1;
  return { wq, weightBits, inputBits, alpha, bias, scale };
}

const quantizedLayer: ModuleWriter<QuantizedLayer> = {
  reads(m, format) {
    // The float export writes the float network the layer wraps (its float-mode computation).
    if (format === 'float') return m.bias ? [m.weight, m.bias] : [m.weight];
    return integerLayerReads(m);
  },
  write(ctx, m, x, path, data) {
    if (ctx.format === 'float') {
      return m instanceof QConv2d
        ? floatConv(ctx, path, x, m.layer, data[0], data[1])
        : floatLinear(ctx, path, x, (m as QLinear).layer, data[0], data[1]);
    }
    const name = baseName(path);
    const who = `${m.constructor.name} "${name}"`;
    const { wq, weightBits, inputBits, alpha, bias: biasValues, scale } = integerLayerData(who, m, data);
    const encoding = (ctx.options.weightEncoding as WeightEncoding | undefined) ?? 'odd';
    const shape = m.weight.shape;
    const enc = encodeWeights(wq, shape[0], weightBits, encoding, scale);
    const input = inputBits === null ? x : activationQdq(ctx, name, x, inputBits, alpha!, m.signedInput);
    const weight = weightDq(ctx, name, shape, enc);
    const out = m.outputShape(x.shape);
    const isConv = m instanceof QConv2d;
    // The float bias is added after the integer op: a bias inside the QDQ group gets quantized
    // to int32 by runtimes that fuse DQ → Conv/Gemm → Q (onnxruntime does), which the engine
    // never does.
    const product = isConv
      ? convNode(ctx, biasValues ? `${name}.conv` : name, input, m.geometry, weight, null, out)
      : linearNode(ctx, biasValues ? `${name}.matmul` : name, input, { weight }, null, out);
    let y = product;
    if (biasValues) {
      const dims = isConv ? [shape[0], 1, 1] : [shape[0]];
      y = ctx.op('Add', [product.name, ctx.graph.floats(`${name}.bias`, dims, biasValues)], out, name);
    }
    const perChannel = wq.length / shape[0];
    const zeroPointBytes = rawByteLength(enc.dataType, enc.scales.length);
    const layer: LayerExport = {
      name,
      kind: m instanceof QConv2d ? 'conv' : 'linear',
      weightBits,
      inputBits,
      alpha,
      encoding,
      storage: dataTypeName(enc.dataType),
      weightCount: wq.length,
      weightBytes: rawByteLength(enc.dataType, wq.length),
      packedBytes:
        (weightBits.length === 1
          ? weightBits[0] * wq.length
          : weightBits.reduce((s, b) => s + b * perChannel, 0)) / 8,
      quantParamBytes: 4 * enc.scales.length + zeroPointBytes + (enc.offsets ? 4 * enc.offsets.length : 0),
      biasBytes: biasValues ? 4 * biasValues.length : 0,
    };
    ctx.record(layer);
    return y;
  },
};

export const QDQ_WRITERS = [
  [QConv2d, quantizedLayer],
  [QLinear, quantizedLayer],
] as const;
