/**
 * Writes a packed model: the caller describes the graph with integer weight codes, the writer
 * infers every shape, packs each output channel's codes at its exact bit-width, lays the blobs
 * out, validates the manifest it produced and serialises the file.
 */
import { checkBits, packCodes } from '@fracbits/kernels';
import { align, dataStart, HEADER_BYTES, MAGIC } from './container.js';
import { crc32 } from './crc32.js';
import {
  type ActivationSpec,
  type BlobRef,
  INPUT_NAME,
  inferOutShape,
  ManifestError,
  PACKED_FORMAT,
  PACKED_VERSION,
  type PackedLayer,
  type PackedManifest,
  validateManifest,
} from './manifest.js';

type Pair = number | readonly [number, number];

interface LayerInputBase {
  readonly name: string;
  /** Default: the previous layer (or the model input for the first layer). */
  readonly inputs?: readonly string[];
}

interface WeightedInput extends LayerInputBase {
  /** Bits per output channel (0..8), or one number for all channels (layer-wise). */
  readonly weightBits: number | readonly number[];
  /** PACT quantization of the input, null for a float input (the first layer). */
  readonly activation: ActivationSpec | null;
  /** Weight codes j ∈ [0, 2^b − 1], [channels, k] row-major (k = taps per channel). */
  readonly codes: ArrayLike<number>;
  /** Per-channel scale s in w = s·(2j − L)/L (default 1, plain DoReFa). */
  readonly scales?: number | ArrayLike<number>;
  readonly bias?: ArrayLike<number> | null;
}

export interface ConvInput extends WeightedInput {
  readonly op: 'conv';
  readonly outChannels: number;
  readonly kernel: Pair;
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly dilation?: Pair;
  readonly groups?: number;
}

export interface LinearInput extends WeightedInput {
  readonly op: 'linear';
  readonly outFeatures: number;
}

export interface PoolInput extends LayerInputBase {
  readonly op: 'pool';
  readonly kind: 'max' | 'avg';
  readonly kernel: Pair;
  /** Default: the kernel size. */
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly countIncludePad?: boolean;
}

export interface BatchNormInput extends LayerInputBase {
  readonly op: 'bn';
  readonly eps?: number;
  readonly gamma: ArrayLike<number>;
  readonly beta: ArrayLike<number>;
  readonly mean: ArrayLike<number>;
  readonly variance: ArrayLike<number>;
}

export interface SimpleInput extends LayerInputBase {
  readonly op: 'relu' | 'flatten' | 'add';
}

export type LayerInput = ConvInput | LinearInput | PoolInput | BatchNormInput | SimpleInput;

export interface PackedModelSpec {
  /** Per-sample input shape, e.g. [1, 28, 28]. */
  readonly input: { readonly shape: readonly number[] };
  readonly layers: readonly LayerInput[];
  /** Default: the last layer. */
  readonly output?: string;
  readonly meta?: Readonly<Record<string, unknown>>;
}

const pair = (v: Pair | undefined, fallback: readonly [number, number]): [number, number] =>
  v === undefined ? [...fallback] : typeof v === 'number' ? [v, v] : [v[0], v[1]];

/** Collects blobs in file order; each gets a 16-byte-aligned offset in the data section. */
class BlobList {
  readonly parts: { offset: number; bytes: Uint8Array }[] = [];
  size = 0;

  add(data: Uint32Array | Float32Array): BlobRef {
    const offset = align(this.size);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.parts.push({ offset, bytes });
    this.size = offset + bytes.length;
    return { offset, length: bytes.length };
  }
}

function floats(v: ArrayLike<number>, n: number, what: string): Float32Array {
  if (v.length !== n) throw new Error(`writePackedModel: ${what}: expected ${n} values, got ${v.length}`);
  const out = Float32Array.from(v);
  if (!out.every(Number.isFinite)) throw new Error(`writePackedModel: ${what}: values must be finite`);
  return out;
}

function weighted(spec: ConvInput | LinearInput, k: number, channels: number, blobs: BlobList) {
  const where = `layer "${spec.name}"`;
  const bits =
    typeof spec.weightBits === 'number'
      ? new Array<number>(channels).fill(spec.weightBits)
      : [...spec.weightBits];
  if (bits.length !== channels) {
    throw new Error(`writePackedModel: ${where}: expected ${channels} weight bit-widths, got ${bits.length}`);
  }
  for (const [o, b] of bits.entries()) checkBits(b, `writePackedModel: ${where} channel ${o}`);
  if (spec.codes.length !== channels * k) {
    throw new Error(
      `writePackedModel: ${where}: expected ${channels}×${k} = ${channels * k} codes, got ${spec.codes.length}`,
    );
  }
  for (let o = 0; o < channels; o++) {
    for (let j = 0; j < k; j++) {
      const c = spec.codes[o * k + j];
      if (!Number.isInteger(c) || c < 0 || c >= 2 ** bits[o]) {
        throw new Error(`writePackedModel: ${where}: code [${o}, ${j}] = ${c} is not a ${bits[o]}-bit code`);
      }
    }
  }
  const scales =
    typeof spec.scales === 'number' || spec.scales === undefined
      ? new Float32Array(channels).fill(spec.scales ?? 1)
      : floats(spec.scales, channels, `${where} scales`);
  // Rows back to back with no padding: the file holds Σ k·b bits per layer, rounded up to a word.
  const words = packCodes(spec.codes, k, bits, { rowAlign: 1 });
  return {
    weightBits: bits,
    activation: spec.activation,
    weights: blobs.add(words),
    scales: blobs.add(scales),
    bias: spec.bias ? blobs.add(floats(spec.bias, channels, `${where} bias`)) : null,
  };
}

/** Builds the manifest layer of `spec` (shapes inferred from its inputs) and adds its blobs. */
function buildLayer(
  spec: LayerInput,
  inShapes: (readonly number[])[],
  blobs: BlobList,
  path: string,
): PackedLayer {
  const inputs = spec.inputs as string[];
  const inShape = [...inShapes[0]];
  const base = { name: spec.name, inputs, inShape, outShape: [] as number[] };
  let layer: PackedLayer;
  switch (spec.op) {
    case 'conv': {
      const groups = spec.groups ?? 1;
      const kernel = pair(spec.kernel, [1, 1]);
      const shell = {
        op: 'conv' as const,
        ...base,
        inChannels: inShape[0],
        outChannels: spec.outChannels,
        kernel,
        stride: pair(spec.stride, [1, 1]),
        padding: pair(spec.padding, [0, 0]),
        dilation: pair(spec.dilation, [1, 1]),
        groups,
      };
      const k = (inShape[0] / groups) * kernel[0] * kernel[1];
      const outShape = inferOutShape({ ...shell, ...PLACEHOLDER }, inShapes, path);
      layer = { ...shell, outShape, ...weighted(spec, k, spec.outChannels, blobs) };
      break;
    }
    case 'linear': {
      const inFeatures = inShape.reduce((a, b) => a * b, 1);
      const shell = { op: 'linear' as const, ...base, inFeatures, outFeatures: spec.outFeatures };
      const outShape = inferOutShape({ ...shell, ...PLACEHOLDER }, inShapes, path);
      layer = { ...shell, outShape, ...weighted(spec, inFeatures, spec.outFeatures, blobs) };
      break;
    }
    case 'pool': {
      const kernel = pair(spec.kernel, [1, 1]);
      const shell = {
        op: 'pool' as const,
        ...base,
        kind: spec.kind,
        kernel,
        stride: pair(spec.stride, kernel),
        padding: pair(spec.padding, [0, 0]),
        countIncludePad: spec.countIncludePad === true,
      };
      layer = { ...shell, outShape: inferOutShape(shell, inShapes, path) };
      break;
    }
    case 'bn': {
      const c = inShape[0];
      const gamma = floats(spec.gamma, c, `layer "${spec.name}" gamma`);
      const beta = floats(spec.beta, c, `layer "${spec.name}" beta`);
      const mean = floats(spec.mean, c, `layer "${spec.name}" mean`);
      const variance = floats(spec.variance, c, `layer "${spec.name}" variance`);
      const params = new Float32Array(4 * c);
      for (const [i, v] of [gamma, beta, mean, variance].entries()) params.set(v, i * c);
      const shell = { op: 'bn' as const, ...base, eps: spec.eps ?? 1e-5, params: { offset: 0, length: 0 } };
      layer = { ...shell, outShape: inferOutShape(shell, inShapes, path), params: blobs.add(params) };
      break;
    }
    default: {
      const shell = { op: spec.op, ...base };
      layer = { ...shell, outShape: inferOutShape(shell, inShapes, path) };
    }
  }
  return layer;
}

const PLACEHOLDER = {
  weightBits: [],
  activation: null,
  weights: { offset: 0, length: 0 },
  scales: { offset: 0, length: 0 },
  bias: null,
};

/** Serialises `spec` as a `.fbpk` file (see README.md for the format). */
export function writePackedModel(spec: PackedModelSpec): Uint8Array {
  const blobs = new BlobList();
  const shapes = new Map<string, readonly number[]>([[INPUT_NAME, [...spec.input.shape]]]);
  let previous = INPUT_NAME;
  const layers = spec.layers.map((l, i) => {
    const inputs = l.inputs ? [...l.inputs] : [previous];
    const inShapes = inputs.map((name) => {
      const s = shapes.get(name);
      if (!s)
        throw new Error(`writePackedModel: layer "${l.name}" reads "${name}", which is not an earlier layer`);
      return s;
    });
    let layer: PackedLayer;
    try {
      layer = buildLayer({ ...l, inputs } as LayerInput, inShapes, blobs, `layers[${i}] ("${l.name}")`);
    } catch (err) {
      if (err instanceof ManifestError) throw new Error(`writePackedModel: ${err.message}`);
      throw err;
    }
    shapes.set(l.name, layer.outShape);
    previous = l.name;
    return layer;
  });
  const manifest: PackedManifest = {
    format: PACKED_FORMAT,
    version: PACKED_VERSION,
    input: { shape: [...spec.input.shape] },
    output: spec.output ?? previous,
    layers,
    ...(spec.meta ? { meta: spec.meta } : {}),
  };
  try {
    validateManifest(JSON.parse(JSON.stringify(manifest)));
  } catch (err) {
    throw new Error(`writePackedModel: invalid model: ${(err as Error).message}`);
  }
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  const start = dataStart(json.length);
  const file = new Uint8Array(start + blobs.size);
  file.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(file.buffer);
  view.setUint32(4, PACKED_VERSION, true);
  view.setUint32(8, json.length, true);
  file.set(json, HEADER_BYTES);
  for (const part of blobs.parts) file.set(part.bytes, start + part.offset);
  view.setUint32(12, crc32(file.subarray(HEADER_BYTES)), true);
  return file;
}
