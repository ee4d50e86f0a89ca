/**
 * Small generated models for the packed-format and runtime tests, and an independent float64
 * fake-quant reference: weights on the DoReFa grid w = s·(2j − L)/L, activations PACT-quantized
 * a = α·round(clip(x, 0, α)/α·L_a)/L_a, computed with plain loops (no kernels, no plans).
 */

import { uniformStream } from '@fracbits/tensor';
import type { LayerInput, PackedModelSpec } from '../src/index.js';

type Tensor = { shape: number[]; data: Float64Array };

function roundHalfEven(x: number): number {
  const r = Math.floor(x);
  const d = x - r;
  return d > 0.5 || (d === 0.5 && r % 2 !== 0) ? r + 1 : r;
}

/** PACT fake quantization (FRACBITS.md §2, single-sided), in float32 steps like the training op. */
export function pact(x: number, alpha: number, bits: number): number {
  const a = Math.fround(alpha);
  const L = 2 ** bits - 1;
  const u = Math.fround(Math.min(Math.max(x, 0), a) / a);
  return (a * roundHalfEven(Math.fround(u * L))) / L;
}

function weightsOf(
  l: Extract<LayerInput, { op: 'conv' | 'linear' }>,
  channels: number,
  k: number,
): Float64Array {
  const bits = typeof l.weightBits === 'number' ? new Array(channels).fill(l.weightBits) : l.weightBits;
  const w = new Float64Array(channels * k);
  for (let o = 0; o < channels; o++) {
    const L = 2 ** bits[o] - 1;
    const s = l.scales === undefined ? 1 : typeof l.scales === 'number' ? l.scales : l.scales[o];
    for (let j = 0; j < k; j++)
      w[o * k + j] = L === 0 ? 0 : (Math.fround(s) * (2 * l.codes[o * k + j] - L)) / L;
  }
  return w;
}

/** Float64 forward pass of one sample through the spec's graph, fake-quantizing as specified. */
export function referenceForward(spec: PackedModelSpec, sample: Float64Array): Float64Array {
  const values = new Map<string, Tensor>([['input', { shape: [...spec.input.shape], data: sample }]]);
  let previous = 'input';
  for (const l of spec.layers) {
    const inputs = l.inputs ?? [previous];
    const x = values.get(inputs[0]) as Tensor;
    let y: Tensor;
    switch (l.op) {
      case 'conv': {
        const [c, h, w] = x.shape;
        const [kh, kw] = typeof l.kernel === 'number' ? [l.kernel, l.kernel] : l.kernel;
        const [sh, sw] =
          l.stride === undefined ? [1, 1] : typeof l.stride === 'number' ? [l.stride, l.stride] : l.stride;
        const [ph, pw] =
          l.padding === undefined
            ? [0, 0]
            : typeof l.padding === 'number'
              ? [l.padding, l.padding]
              : l.padding;
        const groups = l.groups ?? 1;
        const cg = c / groups;
        const og = l.outChannels / groups;
        const ho = Math.floor((h + 2 * ph - kh) / sh) + 1;
        const wo = Math.floor((w + 2 * pw - kw) / sw) + 1;
        const wt = weightsOf(l, l.outChannels, cg * kh * kw);
        const act = l.activation;
        const xq = act ? x.data.map((v) => pact(v, act.clip, act.bits)) : x.data;
        const out = new Float64Array(l.outChannels * ho * wo);
        for (let o = 0; o < l.outChannels; o++) {
          const g = Math.floor(o / og);
          for (let oy = 0; oy < ho; oy++)
            for (let ox = 0; ox < wo; ox++) {
              let acc = l.bias ? Math.fround(l.bias[o]) : 0;
              for (let ci = 0; ci < cg; ci++)
                for (let ky = 0; ky < kh; ky++)
                  for (let kx = 0; kx < kw; kx++) {
                    const iy = oy * sh - ph + ky;
                    const ix = ox * sw - pw + kx;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    acc += wt[((o * cg + ci) * kh + ky) * kw + kx] * xq[((g * cg + ci) * h + iy) * w + ix];
                  }
              out[(o * ho + oy) * wo + ox] = acc;
            }
        }
        y = { shape: [l.outChannels, ho, wo], data: out };
        break;
      }
      case 'linear': {
        const k = x.data.length;
        const wt = weightsOf(l, l.outFeatures, k);
        const act = l.activation;
        const xq = act ? x.data.map((v) => pact(v, act.clip, act.bits)) : x.data;
        const out = new Float64Array(l.outFeatures);
        for (let o = 0; o < l.outFeatures; o++) {
          let acc = l.bias ? Math.fround(l.bias[o]) : 0;
          for (let j = 0; j < k; j++) acc += wt[o * k + j] * xq[j];
          out[o] = acc;
        }
        y = { shape: [l.outFeatures], data: out };
        break;
      }
      case 'relu':
        y = { shape: x.shape, data: x.data.map((v) => Math.max(v, 0)) };
        break;
      case 'flatten':
        y = { shape: [x.data.length], data: x.data };
        break;
      case 'add': {
        const b = values.get(inputs[1]) as Tensor;
        y = { shape: x.shape, data: x.data.map((v, i) => v + b.data[i]) };
        break;
      }
      case 'bn': {
        const [c] = x.shape;
        const hw = x.data.length / c;
        const eps = l.eps ?? 1e-5;
        y = {
          shape: x.shape,
          data: x.data.map((v, i) => {
            const ch = Math.floor(i / hw);
            return ((v - l.mean[ch]) / Math.sqrt(l.variance[ch] + eps)) * l.gamma[ch] + l.beta[ch];
          }),
        };
        break;
      }
      case 'pool': {
        const [c, h, w] = x.shape;
        const [kh, kw] = typeof l.kernel === 'number' ? [l.kernel, l.kernel] : l.kernel;
        const [sh, sw] =
          l.stride === undefined ? [kh, kw] : typeof l.stride === 'number' ? [l.stride, l.stride] : l.stride;
        const ho = Math.floor((h - kh) / sh) + 1;
        const wo = Math.floor((w - kw) / sw) + 1;
        const out = new Float64Array(c * ho * wo);
        for (let ch = 0; ch < c; ch++)
          for (let oy = 0; oy < ho; oy++)
            for (let ox = 0; ox < wo; ox++) {
              let acc = l.kind === 'max' ? -Infinity : 0;
              for (let ky = 0; ky < kh; ky++)
                for (let kx = 0; kx < kw; kx++) {
                  const v = x.data[(ch * h + oy * sh + ky) * w + ox * sw + kx];
                  acc = l.kind === 'max' ? Math.max(acc, v) : acc + v;
                }
              out[(ch * ho + oy) * wo + ox] = l.kind === 'max' ? acc : acc / (kh * kw);
            }
        y = { shape: [c, ho, wo], data: out };
        break;
      }
    }
    values.set(l.name, y);
    previous = l.name;
  }
  return (values.get(spec.output ?? previous) as Tensor).data;
}

function randomCodes(
  r: () => number,
  channels: number,
  k: number,
  bits: number | readonly number[],
): Uint8Array {
  const codes = new Uint8Array(channels * k);
  for (let o = 0; o < channels; o++) {
    const b = typeof bits === 'number' ? bits : bits[o];
    for (let j = 0; j < k; j++) codes[o * k + j] = Math.floor(r() * 2 ** b);
  }
  return codes;
}

const mixedBits = (r: () => number, n: number, lo: number, hi: number) =>
  Array.from({ length: n }, () => lo + Math.floor(r() * (hi - lo + 1)));

/** Sets each quantized layer's PACT clip to a fraction of the largest float input seen on `samples`. */
function calibrate(spec: PackedModelSpec, samples: Float64Array[]): PackedModelSpec {
  const layers = [...spec.layers];
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if ((l.op !== 'conv' && l.op !== 'linear') || !l.activation) continue;
    // The input of layer i is the output of the truncated graph up to layer i − 1.
    const upTo: PackedModelSpec = { ...spec, layers: layers.slice(0, i), output: undefined };
    let max = 0;
    for (const s of samples) for (const v of referenceForward(upTo, s)) max = Math.max(max, v);
    layers[i] = { ...l, activation: { ...l.activation, clip: Math.fround(0.6 * max) } };
  }
  return { ...spec, layers };
}

export function randomImages(count: number, per: number, seed: number): Float32Array {
  const r = uniformStream(seed);
  return Float32Array.from({ length: count * per }, () => r());
}

/**
 * conv5×5(1→4, pad 2, W8, float input) – relu – maxpool2 – conv3×3(4→8, mixed 1..8-bit channels,
 * A4) – relu – maxpool2 – flatten – fc(32→24, mixed 0..8 bits, A3) – relu – fc(24→10, W8, A5),
 * on 1×12×12 inputs, random codes, scales and biases, clips calibrated on a few inputs.
 */
export function smallCnn(seed = 1): PackedModelSpec {
  const r = uniformStream(seed);
  const conv2Bits = mixedBits(r, 8, 1, 8);
  const fc1Bits = mixedBits(r, 24, 0, 8);
  const spec: PackedModelSpec = {
    input: { shape: [1, 12, 12] },
    layers: [
      {
        name: 'conv1',
        op: 'conv',
        outChannels: 4,
        kernel: 5,
        padding: 2,
        weightBits: 8,
        activation: null,
        codes: randomCodes(r, 4, 25, 8),
        bias: Array.from({ length: 4 }, () => r() * 0.2),
      },
      { name: 'relu1', op: 'relu' },
      { name: 'pool1', op: 'pool', kind: 'max', kernel: 2 },
      {
        name: 'conv2',
        op: 'conv',
        outChannels: 8,
        kernel: 3,
        weightBits: conv2Bits,
        activation: { bits: 4, clip: 1 },
        codes: randomCodes(r, 8, 36, conv2Bits),
        scales: Array.from({ length: 8 }, () => 0.5 + r()),
        bias: Array.from({ length: 8 }, () => r() * 0.2 - 0.1),
      },
      { name: 'relu2', op: 'relu' },
      { name: 'pool2', op: 'pool', kind: 'max', kernel: 2 },
      { name: 'flatten', op: 'flatten' },
      {
        name: 'fc1',
        op: 'linear',
        outFeatures: 24,
        weightBits: fc1Bits,
        activation: { bits: 3, clip: 1 },
        codes: randomCodes(r, 24, 32, fc1Bits),
        bias: Array.from({ length: 24 }, () => r() * 0.2),
      },
      { name: 'relu3', op: 'relu' },
      {
        name: 'fc2',
        op: 'linear',
        outFeatures: 10,
        weightBits: 8,
        activation: { bits: 5, clip: 1 },
        codes: randomCodes(r, 10, 24, 8),
        bias: null,
      },
    ],
  };
  const samples = Array.from({ length: 16 }, (_, i) => Float64Array.from(randomImages(1, 144, 1000 + i)));
  return calibrate(spec, samples);
}

/**
 * Exercises the other ops: conv3×3(3→6, pad 1, float input) – bn – relu – depthwise 3×3
 * (6 groups, A4) – add(relu, depthwise) – avgpool 2 (pad) – flatten – fc(→5, A6), on 3×7×7.
 */
export function residualNet(seed = 2): PackedModelSpec {
  const r = uniformStream(seed);
  const dwBits = mixedBits(r, 6, 0, 8);
  const spec: PackedModelSpec = {
    input: { shape: [3, 7, 7] },
    layers: [
      {
        name: 'conv',
        op: 'conv',
        outChannels: 6,
        kernel: 3,
        padding: 1,
        weightBits: mixedBits(r, 6, 2, 8),
        activation: null,
        codes: new Uint8Array(0),
        bias: null,
      },
      {
        name: 'bn',
        op: 'bn',
        gamma: Array.from({ length: 6 }, () => 0.5 + r()),
        beta: Array.from({ length: 6 }, () => r() - 0.3),
        mean: Array.from({ length: 6 }, () => r() - 0.5),
        variance: Array.from({ length: 6 }, () => 0.5 + r()),
      },
      { name: 'relu', op: 'relu' },
      {
        name: 'dw',
        op: 'conv',
        outChannels: 6,
        kernel: 3,
        padding: 1,
        groups: 6,
        weightBits: dwBits,
        activation: { bits: 4, clip: 1 },
        codes: randomCodes(r, 6, 9, dwBits),
        bias: Array.from({ length: 6 }, () => r() * 0.1),
      },
      { name: 'sum', op: 'add', inputs: ['relu', 'dw'] },
      { name: 'pool', op: 'pool', kind: 'avg', kernel: 2 },
      { name: 'flatten', op: 'flatten' },
      {
        name: 'fc',
        op: 'linear',
        outFeatures: 5,
        weightBits: 8,
        activation: { bits: 6, clip: 1 },
        codes: randomCodes(r, 5, 54, 8),
        bias: null,
      },
    ],
  };
  const conv = spec.layers[0] as Extract<LayerInput, { op: 'conv' }>;
  const fixed = { ...conv, codes: randomCodes(r, 6, 27, conv.weightBits) };
  const samples = Array.from({ length: 16 }, (_, i) => Float64Array.from(randomImages(1, 147, 2000 + i)));
  return calibrate({ ...spec, layers: [fixed, ...spec.layers.slice(1)] }, samples);
}

/**
 * A LeNet-5-shaped model (conv5×5 1→6 pad 2, maxpool, conv5×5 6→16, maxpool, fc 400→120→84→10,
 * ReLUs) with random codes: first conv and last fc at 8 bits, the rest at `bits` (a number for
 * layer-wise, or 'mixed' for random per-channel 1..8).
 */
export function lenet5(bits: number | 'mixed', seed = 3): PackedModelSpec {
  const r = uniformStream(seed);
  const b = (n: number) => (bits === 'mixed' ? mixedBits(r, n, 1, 8) : bits);
  const weighted = (name: string, channels: number, k: number, w: number | number[], act: number | null) => ({
    name,
    weightBits: w,
    activation: act === null ? null : { bits: act, clip: 2 },
    codes: randomCodes(r, channels, k, w),
    bias: Array.from({ length: channels }, () => r() * 0.1),
  });
  return {
    input: { shape: [1, 28, 28] },
    layers: [
      { ...weighted('conv1', 6, 25, 8, null), op: 'conv', outChannels: 6, kernel: 5, padding: 2 },
      { name: 'relu1', op: 'relu' },
      { name: 'pool1', op: 'pool', kind: 'max', kernel: 2 },
      { ...weighted('conv2', 16, 150, b(16), 4), op: 'conv', outChannels: 16, kernel: 5 },
      { name: 'relu2', op: 'relu' },
      { name: 'pool2', op: 'pool', kind: 'max', kernel: 2 },
      { name: 'flatten', op: 'flatten' },
      { ...weighted('fc1', 120, 400, b(120), 4), op: 'linear', outFeatures: 120 },
      { name: 'relu3', op: 'relu' },
      { ...weighted('fc2', 84, 120, b(84), 4), op: 'linear', outFeatures: 84 },
      { name: 'relu4', op: 'relu' },
      { ...weighted('fc3', 10, 84, 8, 4), op: 'linear', outFeatures: 10 },
    ],
  };
}

/** Index of the largest value (first on ties). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}
