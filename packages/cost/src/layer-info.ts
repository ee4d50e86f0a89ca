/**
 * LayerInfo builders for costing a network described by hand (no engine needed). They compute
 * output sizes, MACs and params with PyTorch's conv arithmetic.
 */
import type { LayerInfo, PinnedBits } from '@fracbits/plugin-api';

type Pair = number | readonly [number, number];

function pair(who: string, key: string, value: Pair, min: number): [number, number] {
  const p: [number, number] = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  if (!p.every((v) => Number.isInteger(v) && v >= min)) {
    throw new Error(
      `${who}: expected ${key} to be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(value)}`,
    );
  }
  return p;
}

function positiveInt(who: string, key: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${who}: expected ${key} to be a positive integer, got ${value}`);
  return value;
}

export interface ConvLayerSpec {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: Pair;
  /** Input height and width. */
  readonly inputSize: Pair;
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly dilation?: Pair;
  readonly groups?: number;
  readonly bias?: boolean;
  readonly pinned?: PinnedBits;
}

/** LayerInfo of a 2-D convolution on one image. */
export function convLayer(spec: ConvLayerSpec): LayerInfo {
  const who = `convLayer('${spec.name}')`;
  const inC = positiveInt(who, 'inChannels', spec.inChannels);
  const outC = positiveInt(who, 'outChannels', spec.outChannels);
  const groups = positiveInt(who, 'groups', spec.groups ?? 1);
  if (inC % groups !== 0 || outC % groups !== 0) {
    throw new Error(`${who}: groups (${groups}) must divide inChannels (${inC}) and outChannels (${outC})`);
  }
  const kernel = pair(who, 'kernel', spec.kernel, 1);
  const size = pair(who, 'inputSize', spec.inputSize, 1);
  const stride = pair(who, 'stride', spec.stride ?? 1, 1);
  const padding = pair(who, 'padding', spec.padding ?? 0, 0);
  const dilation = pair(who, 'dilation', spec.dilation ?? 1, 1);
  const out = [0, 1].map(
    (d) => Math.floor((size[d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) / stride[d]) + 1,
  );
  if (out[0] < 1 || out[1] < 1) {
    throw new Error(`${who}: kernel ${kernel.join('×')} does not fit the padded ${size.join('×')} input`);
  }
  const params = kernel[0] * kernel[1] * (inC / groups) * outC;
  return {
    name: spec.name,
    kind: 'conv',
    inChannels: inC,
    outChannels: outC,
    kernel,
    stride,
    groups,
    inputShape: [inC, size[0], size[1]],
    outputShape: [outC, out[0], out[1]],
    macs: params * out[0] * out[1],
    params,
    hasBias: spec.bias ?? false,
    ...(spec.pinned ? { pinned: spec.pinned } : {}),
  };
}

export interface LinearLayerSpec {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias?: boolean;
  readonly pinned?: PinnedBits;
}

/** LayerInfo of a fully connected layer on one sample. */
export function linearLayer(spec: LinearLayerSpec): LayerInfo {
  const who = `linearLayer('${spec.name}')`;
  const inF = positiveInt(who, 'inFeatures', spec.inFeatures);
  const outF = positiveInt(who, 'outFeatures', spec.outFeatures);
  return {
    name: spec.name,
    kind: 'linear',
    inChannels: inF,
    outChannels: outF,
    kernel: [1, 1],
    stride: [1, 1],
    groups: 1,
    inputShape: [inF],
    outputShape: [outF],
    macs: inF * outF,
    params: inF * outF,
    hasBias: spec.bias ?? true,
    ...(spec.pinned ? { pinned: spec.pinned } : {}),
  };
}
