import { quantizeModel, setQuantMode } from '@fracbits/core';
import { lenet5, type Module, resnet20 } from '@fracbits/nn';
import { getBackend, tensor } from '@fracbits/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnxFloat, exportOnnxQdq, type QdqExport } from '../src/export/export.js';
import { encodeWeights } from '../src/export/qdq.js';
import { importOnnx } from '../src/import/import.js';
import { checkModel } from '../src/proto/checker.js';
import { decodeModel } from '../src/proto/codec.js';
import { readTensor } from '../src/proto/tensor-data.js';
import { DataType, type ModelProto } from '../src/proto/types.js';
import { maxRelDiff, randomArray, runOurs } from './helpers.js';
import { residualModel } from './models.js';
import { runOrtSingle } from './ort.js';
import { cycle, quantizeFixed } from './quantized.js';

const SAMPLES = 300;
const LENET_INPUT = [1, 28, 28];

/** Agreement of onnxruntime with our engine on `samples` inputs: top-1 and logit differences. */
async function agreement(
  model: Module,
  bytes: Uint8Array,
  inputShape: number[],
  samples: number,
  seed: number,
) {
  const dims = [samples, ...inputShape];
  const input = randomArray(
    dims.reduce((a, b) => a * b, 1),
    seed,
    0,
    1,
  );
  const ours = runOurs(model, input, dims);
  const ort = await runOrtSingle(bytes, input, dims);
  expect(ort.dims).toEqual(ours.dims);
  const classes = ours.dims[1];
  let same = 0;
  let worst = 0;
  let within = 0;
  let largest = 0;
  for (let n = 0; n < samples; n++) {
    let a = 0;
    let b = 0;
    let diff = 0;
    for (let k = 0; k < classes; k++) {
      const i = n * classes + k;
      diff = Math.max(diff, Math.abs(ours.data[i] - ort.data[i]));
      largest = Math.max(largest, Math.abs(ours.data[i]));
      if (ours.data[i] > ours.data[n * classes + a]) a = k;
      if (ort.data[i] > ort.data[n * classes + b]) b = k;
    }
    if (a === b) same++;
    if (diff <= 1e-4) within++;
    worst = Math.max(worst, diff);
  }
  return { top1: same / samples, within: within / samples, worst, largest };
}

function initializer(model: ModelProto, name: string) {
  const t = model.graph!.initializer!.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return readTensor(t);
}

function node(model: ModelProto, name: string) {
  const n = model.graph!.node!.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

/** LeNet-5 at mixed bits as a search would leave it: pinned W8 ends, pruned channels, A2..A6. */
function mixedLenet(): Module {
  const calibration = tensor(randomArray(32 * 784, 99, 0, 1), [32, ...LENET_INPUT]);
  return quantizeFixed(lenet5({ seed: 1 }), LENET_INPUT, calibration, {
    conv2: { w: cycle(16, [0, 1, 2, 3, 4, 5]), a: 3 },
    fc1: { w: 2, a: 4 },
    fc2: { w: cycle(84, [3, 5, 2]), a: 2 },
    fc3: { a: 6 },
  });
}

describe('exportOnnxQdq on a mixed-precision LeNet-5', () => {
  let model: Module;
  let odd: QdqExport;
  let offset: QdqExport;

  beforeAll(async () => {
    model = mixedLenet();
    const metadata = { budget: { kind: 'bitops', target: 1.2e8 }, cost: 1.19e8, accuracy: 0.91 };
    odd = await exportOnnxQdq(model, { inputShape: LENET_INPUT, metadata });
    offset = await exportOnnxQdq(model, { inputShape: LENET_INPUT, metadata, weightEncoding: 'offset' });
  });

  it('onnxruntime matches the engine: ≥ 99.5 % identical top-1, logits within 1e-4 on ≥ 99 % of inputs', async () => {
    for (const [encoding, result] of [
      ['odd', odd],
      ['offset', offset],
    ] as const) {
      const a = await agreement(model, result.bytes, LENET_INPUT, SAMPLES, 7);
      console.info(
        `QDQ lenet5 (${encoding}): ${result.bytes.length} bytes, top-1 agreement ${(100 * a.top1).toFixed(2)} %, logits within 1e-4 on ${(100 * a.within).toFixed(2)} %, max |Δ| ${a.worst.toExponential(2)} (max |logit| ${a.largest.toFixed(3)})`,
      );
      expect(a.top1).toBeGreaterThanOrEqual(0.995);
      expect(a.within).toBeGreaterThanOrEqual(0.99);
      expect(a.worst).toBeLessThan(0.05 * a.largest);
    }
  });

  it('stores DoReFa integers at the bit-widths: odd levels, INT4 ≤ 3 bits, INT8 ≤ 7, INT16 for the pinned W8 layers', () => {
    const proto = decodeModel(odd.bytes);
    expect(checkModel(proto)).toEqual([]);
    const conv2 = initializer(proto, 'conv2.weight_quantized');
    expect(conv2.dataType).toBe(DataType.INT8); // channels up to 5 bits: q needs 6 signed bits
    const perChannel = 6 * 5 * 5;
    const bits = cycle(16, [0, 1, 2, 3, 4, 5]);
    for (let i = 0; i < conv2.values.length; i++) {
      const b = bits[Math.floor(i / perChannel)];
      const q = conv2.values[i];
      if (b === 0) expect(q).toBe(0);
      else expect(Math.abs(q) % 2 === 1 && Math.abs(q) <= 2 ** b - 1).toBe(true);
    }
    const scales = initializer(proto, 'conv2.weight_scale');
    expect(Array.from(scales.values)).toEqual(bits.map((b) => Math.fround(b === 0 ? 1 : 1 / (2 ** b - 1))));
    const axis = node(proto, 'conv2.weight_dequantized').attribute!;
    expect(axis.map((a) => [a.name, a.i ?? 0])).toEqual([['axis', 0]]); // 0 is not on the wire
    expect(initializer(proto, 'fc1.weight_quantized').dataType).toBe(DataType.INT4);
    expect(initializer(proto, 'conv1.weight_quantized').dataType).toBe(DataType.INT16);
    expect(initializer(proto, 'fc3.weight_quantized').dataType).toBe(DataType.INT16);
    // The first conv's input is the image: no activation QDQ.
    expect(proto.graph!.node!.some((n) => n.name === 'conv1.input_quantized')).toBe(false);
    const outputType = (name: string) =>
      node(proto, name).attribute!.find((a) => a.name === 'output_dtype')!.i;
    expect(outputType('conv2.input_quantized')).toBe(DataType.UINT4);
    expect(outputType('fc3.input_quantized')).toBe(DataType.UINT8);
  });

  it("'offset' stores exact b-bit integers: INT8 for the W8 layers, INT4 up to 4 bits", () => {
    const proto = decodeModel(offset.bytes);
    expect(checkModel(proto)).toEqual([]);
    expect(initializer(proto, 'conv1.weight_quantized').dataType).toBe(DataType.INT8);
    expect(initializer(proto, 'fc2.weight_quantized').dataType).toBe(DataType.INT8);
    expect(initializer(proto, 'fc1.weight_quantized').dataType).toBe(DataType.INT4);
    const fc1 = initializer(proto, 'fc1.weight_quantized');
    expect(new Set(fc1.values)).toEqual(new Set([-2, -1, 0, 1]));
    expect(offset.weightBytes).toBeLessThan(odd.weightBytes);
    expect(offset.packedBytes).toBe(odd.packedBytes);
  });

  it('reports weight bytes and bits per layer, in the result and in metadata_props', () => {
    const fc1 = odd.layers.find((l) => l.name === 'fc1')!;
    expect(fc1).toMatchObject({
      kind: 'linear',
      storage: 'INT4',
      weightCount: 48000,
      weightBytes: 24000,
      packedBytes: 12000,
    });
    expect(fc1.weightBits).toEqual(new Array(120).fill(2));
    expect(fc1.inputBits).toBe(4);
    const conv1 = odd.layers.find((l) => l.name === 'conv1')!;
    expect(conv1).toMatchObject({
      weightBits: [8],
      inputBits: null,
      alpha: null,
      storage: 'INT16',
      weightBytes: 300,
    });
    const conv2 = odd.layers.find((l) => l.name === 'conv2')!;
    expect(conv2.packedBytes).toBe((150 * (0 + 1 + 2 + 3 + 4 + 5) * 3 - 150 * (4 + 5)) / 8);
    expect(odd.weightBytes).toBe(odd.layers.reduce((s, l) => s + l.weightBytes, 0));
    console.info(
      `QDQ lenet5 weight bytes (odd / offset / exact bits): ${odd.weightBytes} / ${offset.weightBytes} / ${odd.packedBytes}; per layer: ${odd.layers.map((l) => `${l.name} ${l.storage} ${l.weightBytes}`).join(', ')}`,
    );
    const meta = Object.fromEntries(decodeModel(odd.bytes).metadata_props!.map((e) => [e.key, e.value]));
    expect(JSON.parse(meta.budget)).toEqual({ kind: 'bitops', target: 1.2e8 });
    expect(meta.accuracy).toBe('0.91');
    expect(meta['fracbits.weight_encoding']).toBe('odd');
    const bits = JSON.parse(meta['fracbits.bits']);
    expect(bits.map((b: { name: string }) => b.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    expect(bits[4]).toEqual({ name: 'fc3', w: [8], a: 6 });
    expect(JSON.parse(meta['fracbits.weight_bytes']).fc1).toEqual({
      stored: 24000,
      packed: 12000,
      storage: 'INT4',
    });
  });

  it('leaves no tensors behind (the quantized weights it computes are freed)', async () => {
    const before = getBackend().memory().liveBuffers;
    await exportOnnxQdq(model, { inputShape: LENET_INPUT });
    await exportOnnxFloat(model, { inputShape: LENET_INPUT });
    expect(getBackend().memory().liveBuffers).toBe(before);
  });

  it('exportOnnxFloat writes the float network the quantized layers wrap', async () => {
    const bytes = await exportOnnxFloat(model, { inputShape: LENET_INPUT });
    const input = randomArray(3 * 784, 5, 0, 1);
    setQuantMode(model, 'float');
    try {
      const ours = runOurs(model, input, [3, ...LENET_INPUT]);
      const ort = await runOrtSingle(bytes, input, [3, ...LENET_INPUT]);
      expect(maxRelDiff(ort.data, ours.data)).toBeLessThan(1e-5);
    } finally {
      setQuantMode(model, 'fixed');
    }
  });
});

describe('exportOnnxQdq on other models', () => {
  it('a residual network (resnet20, layer-wise bits, QDQ inside BasicBlocks)', async () => {
    const shape = [3, 8, 8];
    const calibration = tensor(randomArray(8 * 192, 3, 0, 1), [8, ...shape]);
    const model = quantizeFixed(
      resnet20({ seed: 2, inputSize: [3, 8, 8] }),
      shape,
      calibration,
      {},
      { granularity: 'layer', targetBits: 3 },
    );
    const result = await exportOnnxQdq(model, { inputShape: shape });
    const a = await agreement(model, result.bytes, shape, 64, 11);
    console.info(
      `QDQ resnet20 (W3A3, 8×8): top-1 ${(100 * a.top1).toFixed(2)} %, max |Δ| ${a.worst.toExponential(2)}`,
    );
    expect(a.top1).toBeGreaterThanOrEqual(0.98);
    expect(a.within).toBeGreaterThanOrEqual(0.95);
    expect(result.layers).toHaveLength(19 + 1); // 19 convs and the fc
  });

  it('double-sided PACT (signed inputs) and an imported ONNX graph', async () => {
    const imported = importOnnx(residualModel());
    const shape = imported.inputShape;
    const calibration = tensor(randomArray(8 * 100, 4, 0, 1), [8, ...shape]);
    // body_conv reads a ReLU output, head reads pooled values: mark head as signed to cover it.
    const model = quantizeFixed(
      imported.model,
      shape,
      calibration,
      { body_conv: { w: cycle(6, [2, 4]), a: 3 }, head: { a: 5 } },
      {
        activationSigned: ['head'],
      },
    );
    const result = await exportOnnxQdq(model, { inputShape: shape });
    const proto = decodeModel(result.bytes);
    expect(proto.graph!.node!.some((n) => n.name === 'head.input_shift')).toBe(true);
    const a = await agreement(model, result.bytes, shape, 64, 12);
    console.info(
      `QDQ imported residual net (signed head): top-1 ${(100 * a.top1).toFixed(2)} %, max |Δ| ${a.worst.toExponential(2)}`,
    );
    expect(a.top1).toBeGreaterThanOrEqual(0.98);
    expect(a.within).toBeGreaterThanOrEqual(0.95);
  });

  it('rejects fractional bits, unquantized models and bad options, naming the layer', async () => {
    const searching = lenet5({ seed: 4 });
    quantizeModel(searching, { targetBits: 3, inputShape: LENET_INPUT });
    await expect(exportOnnxQdq(searching, { inputShape: LENET_INPUT })).rejects.toThrow(
      /exportOnnxQdq: module "conv2" \(QConv2d\): QConv2d "conv2": weight bit-width 3\.5 is fractional; discretise first/,
    );
    await expect(exportOnnxQdq(lenet5(), { inputShape: LENET_INPUT })).rejects.toThrow(
      /exportOnnxQdq: the model has no quantized layer/,
    );
    await expect(
      exportOnnxQdq(mixedLenet(), { inputShape: LENET_INPUT, weightEncoding: 'nibbles' as 'odd' }),
    ).rejects.toThrow(/expected weightEncoding 'odd' \| 'offset', got 'nibbles'/);
  });
});

describe('encodeWeights', () => {
  it('recovers the integers of DoReFa levels exactly, per channel, with the SAT scale folded in', () => {
    const levels = (b: number, j: number) => Math.fround((2 * j - (2 ** b - 1)) / (2 ** b - 1));
    const wq = Float32Array.from([levels(2, 0), levels(2, 3), levels(3, 5), levels(3, 2), 0, 0]);
    const odd = encodeWeights(wq, 3, [2, 3, 0], 'odd', 0.5);
    expect(Array.from(odd.values)).toEqual([-3, 3, 3, -3, 0, 0]);
    expect(Array.from(odd.scales)).toEqual([0.5 / 3, 0.5 / 7, 1].map(Math.fround));
    expect(odd.dataType).toBe(DataType.INT4);
    expect(odd.offsets).toBeNull();
    const offset = encodeWeights(wq, 3, [2, 3, 0], 'offset');
    expect(Array.from(offset.values)).toEqual([-2, 1, 1, -2, 0, 0]);
    expect(Array.from(offset.offsets!)).toEqual([1 / 3, 1 / 7, 0].map(Math.fround));
    // Dequantized: k·scale + offset reproduces every level.
    for (let i = 0; i < 6; i++) {
      const o = Math.floor(i / 2);
      expect(offset.values[i] * offset.scales[o] + offset.offsets![o]).toBeCloseTo(wq[i], 6);
    }
    expect(encodeWeights(new Float32Array([levels(4, 15)]), 1, [4], 'odd').dataType).toBe(DataType.INT8);
    expect(encodeWeights(new Float32Array([levels(4, 15)]), 1, [4], 'offset').dataType).toBe(DataType.INT4);
    expect(encodeWeights(new Float32Array([levels(8, 0)]), 1, [8], 'odd').dataType).toBe(DataType.INT16);
  });

  it('rejects values that are not levels of their bit-width', () => {
    expect(() => encodeWeights(new Float32Array([0.5]), 1, [2], 'odd')).toThrow(
      /weight 0 \(channel 0\) = 0.5 is not a 2-bit DoReFa level/,
    );
    expect(() => encodeWeights(new Float32Array([0.1]), 1, [0], 'odd')).toThrow(/not a 0-bit DoReFa level/);
    expect(() => encodeWeights(new Float32Array([1, 1]), 2, [2, 2, 2], 'odd')).toThrow(
      /expected 1 or 2 bit-widths, got 3/,
    );
  });
});
