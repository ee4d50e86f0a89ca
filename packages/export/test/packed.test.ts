/**
 * The packed export against our engine: a quantized model exported with `exportPacked` and run
 * by @fracbits/packed's CPU twin and WebGPU runtimes gives the engine's eval-mode logits.
 *
 * Tolerance. Both compute the same integer model, but not in the same float order (the engine
 * sums float weight·activation products, the runtime sums integer code products and scales once),
 * so an activation that lands within a float rounding of a PACT rounding boundary can take the
 * neighbouring level in one of them; the difference then propagates. Measured on the lenet5 below
 * (1000 inputs): 10 of 10 000 logits differ by more than 1e-5, the largest by 0.045 (logits up to
 * 1.55); top-1 agrees on all 1000. Asserted: top-1 on ≥ 99.9 %, ≥ 99 % of samples within 1e-5 on
 * every logit, every logit within 10 % of the largest logit.
 */
import { getBitsSync, quantizedLayers, quantizeModel } from '@fracbits/core';
import { convnet, createModel, lenet5, type Module, ReLU6, Sequential } from '@fracbits/nn';
import {
  argmaxRows,
  type ConvLayer,
  inferCpu,
  loadPackedModel,
  type PackedModel,
  packedSizeStats,
  readPackedModel,
} from '@fracbits/packed';
import { createNodeDevice, type NodeDevice } from '@fracbits/packed/node';
import { getBackend, tensor } from '@fracbits/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackedSpec, exportPacked } from '../src/packed/export.js';
import { randomArray, runOurs } from './helpers.js';
import { cycle, quantizeFixed } from './quantized.js';

const inCi = !['', 'false', '0', undefined].includes(process.env.CI);

async function openDevice(): Promise<NodeDevice | null> {
  try {
    return await createNodeDevice();
  } catch (err) {
    if (inCi)
      throw new Error(`packed export GPU tests need Dawn and an adapter in CI: ${(err as Error).message}`);
    return null;
  }
}

const gpu = await openDevice();

/** The engine's eval-mode logits for `count` samples, in chunks (bounded memory). */
function engineLogits(
  model: Module,
  x: Float32Array,
  shape: number[],
  count: number,
  chunk = 250,
): Float32Array {
  const per = x.length / count;
  const parts: Float32Array[] = [];
  for (let s = 0; s < count; s += chunk) {
    const n = Math.min(chunk, count - s);
    parts.push(runOurs(model, x.subarray(s * per, (s + n) * per), [n, ...shape]).data);
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

interface Agreement {
  /** Fraction of samples with the same top-1 class. */
  readonly top1: number;
  /** Fraction of samples whose logits are all within 1e-5. */
  readonly close: number;
  readonly maxDiff: number;
  readonly maxLogit: number;
}

function agreement(got: Float32Array, ref: Float32Array, classes: number): Agreement {
  const a = argmaxRows(got, classes);
  const b = argmaxRows(ref, classes);
  let same = 0;
  let close = 0;
  let maxDiff = 0;
  let maxLogit = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) same++;
    let worst = 0;
    for (let c = 0; c < classes; c++) {
      worst = Math.max(worst, Math.abs(got[i * classes + c] - ref[i * classes + c]));
      maxLogit = Math.max(maxLogit, Math.abs(ref[i * classes + c]));
    }
    if (worst <= 1e-5) close++;
    maxDiff = Math.max(maxDiff, worst);
  }
  return { top1: same / a.length, close: close / a.length, maxDiff, maxLogit };
}

interface Bounds {
  readonly top1: number;
  readonly close: number;
  /** Largest logit difference as a fraction of the largest logit. */
  readonly spread: number;
}

function expectAgreement(r: Agreement, bounds: Bounds = { top1: 0.999, close: 0.99, spread: 0.1 }): void {
  expect(r.top1).toBeGreaterThanOrEqual(bounds.top1);
  expect(r.close).toBeGreaterThanOrEqual(bounds.close);
  expect(r.maxDiff).toBeLessThanOrEqual(bounds.spread * r.maxLogit);
}

/** Σ params·bits/8 and 4 bytes of scale per output channel, from the quantized model itself. */
function idealBytes(model: Module): { weights: number; scales: number } {
  const bits = new Map(getBitsSync(model).map((l) => [l.name, l.w]));
  let weights = 0;
  let scales = 0;
  for (const [name, layer] of quantizedLayers(model)) {
    const [channels] = layer.weight.shape;
    const k = layer.weight.size / channels;
    const w = bits.get(name)!;
    for (let o = 0; o < channels; o++) weights += (k * (w.length === 1 ? w[0] : w[o])) / 8;
    scales += 4 * channels;
  }
  return { weights, scales };
}

const LENET_INPUT = [1, 28, 28];
const LENET_BITS = {
  conv2: { w: cycle(16, [2, 3, 0, 5]), a: 3 },
  fc1: { w: cycle(120, [4, 1, 0, 2, 6]), a: 5 },
  fc2: { w: 3, a: 6 },
  fc3: { a: 7 },
};

describe('lenet5 at mixed integer bits (kernel-wise, 0-bit channels)', () => {
  const count = 1000;
  const images = randomArray(count * 784, 15, 0, 1);
  let model: Module;
  let bytes: Uint8Array;
  let packed: PackedModel;
  let ours: Float32Array;
  let cpu: Float32Array;

  beforeAll(async () => {
    const calibration = tensor(images.slice(0, 64 * 784), [64, ...LENET_INPUT]);
    model = quantizeFixed(lenet5({ seed: 5 }), LENET_INPUT, calibration, LENET_BITS);
    bytes = await exportPacked(model, { inputShape: LENET_INPUT, metadata: { accuracy: 0.9 } });
    packed = readPackedModel(bytes);
    ours = engineLogits(model, images, LENET_INPUT, count);
    cpu = inferCpu(packed, images);
  });

  it('stores per-channel bits, PACT bits and clips, and the first conv with a float input', () => {
    const layers = packed.manifest.layers;
    expect(layers.map((l) => `${l.name}:${l.op}`)).toEqual([
      'conv1:conv',
      'relu1:relu',
      'pool1:pool',
      'conv2:conv',
      'relu2:relu',
      'pool2:pool',
      'flatten:flatten',
      'fc1:linear',
      'relu3:relu',
      'fc2:linear',
      'relu4:relu',
      'fc3:linear',
    ]);
    const byName = new Map(layers.map((l) => [l.name, l]));
    const conv1 = byName.get('conv1') as ConvLayer;
    // The image is not quantized: the runtime's float-input path (float products, 8-bit weights).
    expect(conv1.activation).toBeNull();
    expect(conv1.weightBits).toEqual(new Array(6).fill(8));
    const conv2 = byName.get('conv2') as ConvLayer;
    expect(conv2.weightBits).toEqual(LENET_BITS.conv2.w);
    const alpha = quantizedLayers(model)
      .find(([n]) => n === 'conv2')![1]
      .alpha!.dataSync()[0];
    expect(conv2.activation).toEqual({ bits: 3, clip: Math.fround(Math.abs(alpha)) });
    // 0-bit channels take no bits: the codes are k·Σb bits, padded to a word.
    expect(conv2.weights.length).toBe(4 * Math.ceil((150 * LENET_BITS.conv2.w.reduce((a, b) => a + b)) / 32));
    expect(packed.manifest.output).toBe('fc3');
    expect(packed.manifest.meta).toMatchObject({ producer: '@fracbits/export', accuracy: 0.9 });
    expect((packed.manifest.meta!.bits as unknown[])[1]).toEqual({
      name: 'conv2',
      w: LENET_BITS.conv2.w,
      a: 3,
    });
  });

  it('weight bytes are within 2 % of Σ params·bits/8 + scales', () => {
    const stats = packedSizeStats(packed);
    const ideal = idealBytes(model);
    expect(stats.idealWeightBytes).toBe(ideal.weights);
    expect(stats.scaleBytes).toBe(ideal.scales);
    const stored = stats.weightBytes + stats.scaleBytes;
    expect(Math.abs(stored / (ideal.weights + ideal.scales) - 1)).toBeLessThanOrEqual(0.02);
    // Header, manifest and alignment stay a small part of the file.
    expect(stats.overheadBytes).toBeLessThan(0.25 * stats.fileBytes);
  });

  it('CPU twin runtime: top-1 as the engine on ≥ 99.9 % of 1000 inputs, logits within tolerance', () => {
    expectAgreement(agreement(cpu, ours, 10));
  });

  describe.skipIf(!gpu)('WebGPU runtime (Dawn)', () => {
    for (const variant of ['dot4', 'float'] as const) {
      it(`${variant} variant: the CPU twin's logits bit for bit, so the same agreement with the engine`, async () => {
        const { device, wgslLanguageFeatures } = gpu!;
        const gpuModel = await loadPackedModel(bytes, device, { variant, wgslLanguageFeatures });
        try {
          const logits = await gpuModel.infer(images);
          expect(Array.from(logits)).toEqual(Array.from(cpu));
          expectAgreement(agreement(logits, ours, 10));
        } finally {
          gpuModel.dispose();
        }
      });
    }
  });
});

/**
 * Few samples: every top-1 must agree and all but one in ten must match to 1e-5 (a wrong layer,
 * bit-width or channel order would move every sample). A flipped rounding early in a random
 * 19-layer ResNet grows on its way to the logits (measured: one sample in 32, by 13 % of the
 * largest logit), so the spread bound is looser there.
 */
const SMALL: Bounds = { top1: 1, close: 0.9, spread: 0.1 };
const DEEP: Bounds = { top1: 1, close: 0.9, spread: 0.25 };

describe('other zoo models', () => {
  it('convnet (layer-wise bits, SAT rescale on the last layer): scales carry the rescale', async () => {
    const count = 48;
    const x = randomArray(count * 784, 21, 0, 1);
    const model = quantizeFixed(
      convnet({ seed: 2 }),
      LENET_INPUT,
      tensor(x.slice(0, 16 * 784), [16, ...LENET_INPUT]),
      { conv2: { w: 2, a: 3 }, fc1: { w: 5, a: 4 } },
      { granularity: 'layer', satRescale: true },
    );
    const packed = readPackedModel(await exportPacked(model, { inputShape: LENET_INPUT }));
    const fc2 = packed.weights.get('fc2')!;
    expect(fc2.scales.every((s) => s === fc2.scales[0] && s !== 1)).toBe(true);
    expectAgreement(agreement(inferCpu(packed, x), engineLogits(model, x, LENET_INPUT, count), 10), SMALL);
  });

  for (const name of ['resnet20', 'resnet20b']) {
    it(`${name} (BatchNorm, residual adds, ${name === 'resnet20' ? 'option-A zero-padding' : '1×1 conv'} shortcuts)`, async () => {
      const shape = [3, 8, 8];
      const count = 32;
      const x = randomArray(count * 192, 31, 0, 1);
      const model = createModel(name, { seed: 3, inputSize: [3, 8, 8] });
      quantizeFixed(
        model,
        shape,
        tensor(x.slice(0, 8 * 192), [8, ...shape]),
        {
          'layer2.0.conv2': { w: cycle(32, [2, 0, 3]), a: 2 },
          'layer3.1.conv1': { w: cycle(64, [1, 4]), a: 3 },
        },
        { targetBits: 3 },
      );
      const packed = readPackedModel(await exportPacked(model, { inputShape: shape }));
      const layers = packed.manifest.layers;
      expect(layers.filter((l) => l.op === 'add')).toHaveLength(9);
      expect(layers.filter((l) => l.op === 'bn')).toHaveLength(name === 'resnet20' ? 19 : 21);
      if (name === 'resnet20') {
        // x[:, :, ::2, ::2] with channels padded: a depthwise 1×1 conv, +1 at 1 bit or 0 at 0 bits.
        const shortcut = layers.find((l) => l.name === 'layer2.0.downsample') as ConvLayer;
        expect(shortcut).toMatchObject({ op: 'conv', groups: 16, outChannels: 32, activation: null });
        expect(shortcut.weightBits).toEqual(cycle(32, [1, 0]));
      }
      expectAgreement(agreement(inferCpu(packed, x), engineLogits(model, x, shape, count), 10), DEEP);
    });
  }
});

describe('errors name the layer and the reason', () => {
  const calibration = () => tensor(randomArray(8 * 784, 3, 0, 1), [8, ...LENET_INPUT]);

  it('double-sided PACT', async () => {
    const model = quantizeFixed(
      lenet5({ seed: 1 }),
      LENET_INPUT,
      calibration(),
      {},
      { activationSigned: ['fc2'] },
    );
    await expect(exportPacked(model, { inputShape: LENET_INPUT })).rejects.toThrow(
      /exportPacked: module "fc2" \(QLinear\): double-sided PACT \(a signed input\) has no packed encoding/,
    );
  });

  it('a model without quantized layers, fractional bits, a bad input shape', async () => {
    await expect(exportPacked(lenet5(), { inputShape: LENET_INPUT })).rejects.toThrow(
      /exportPacked: the model has no quantized layer/,
    );
    const searching = lenet5();
    quantizeModel(searching, { targetBits: 3, inputShape: LENET_INPUT });
    await expect(exportPacked(searching, { inputShape: LENET_INPUT })).rejects.toThrow(
      /exportPacked: module "conv2" \(QConv2d\): QConv2d "conv2": weight bit-width 3\.5 is fractional; discretise first/,
    );
    const model = quantizeFixed(lenet5({ seed: 1 }), LENET_INPUT, calibration(), {});
    await expect(exportPacked(model, { inputShape: [28, 28, 0] })).rejects.toThrow(
      /exportPacked: inputShape must be positive integers/,
    );
  });

  it('modules with no packed op (ReLU6)', async () => {
    const model = new Sequential().append(lenet5({ seed: 1 }), 'net').append(new ReLU6(), 'clip');
    quantizeFixed(model, LENET_INPUT, calibration(), {});
    await expect(exportPacked(model, { inputShape: LENET_INPUT })).rejects.toThrow(
      /exportPacked: module "clip" \(ReLU6\) has no packed equivalent \(supported: core's QConv2d\/QLinear, ReLU/,
    );
  });

  it('leaves no tensors behind', async () => {
    const model = quantizeFixed(lenet5({ seed: 1 }), LENET_INPUT, calibration(), {});
    await buildPackedSpec(model, { inputShape: LENET_INPUT }); // fills the layers' constant caches
    const before = getBackend().memory().liveBuffers;
    await buildPackedSpec(model, { inputShape: LENET_INPUT });
    expect(getBackend().memory().liveBuffers).toBe(before);
  });
});
