/**
 * The JSON manifest of a packed model (README.md, "Manifest"): types, and the schema and shape
 * validation the reader runs before it trusts any field. Every error names the field by its JSON
 * path, what was expected and what was found.
 */
import { convOutputSize, LOWBIT_MAX_BITS } from '@fracbits/kernels';

export const PACKED_FORMAT = 'fracbits-packed';
export const PACKED_VERSION = 1;

/** A byte range of the file: `offset` from the start of the file, 16-byte aligned. */
export interface BlobRef {
  readonly offset: number;
  readonly length: number;
}

/** PACT quantization of a conv/linear layer's input: codes 0..2^bits − 1 over [0, clip]. */
export interface ActivationSpec {
  readonly bits: number;
  readonly clip: number;
}

interface LayerBase {
  readonly name: string;
  /** Names of the layers (or "input") whose outputs this layer reads, all earlier in the list. */
  readonly inputs: readonly string[];
  /** Per-sample shapes (no batch dimension). */
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
}

interface WeightedBase extends LayerBase {
  /** Bits of each output channel's weights, 0..8 (0: pruned, all-zero weights). */
  readonly weightBits: readonly number[];
  /** The input's PACT quantization, or null for a float input (the first layer). */
  readonly activation: ActivationSpec | null;
  /** Packed codes: one little-endian bitstream, row o (k codes at weightBits[o] bits) right after row o − 1. */
  readonly weights: BlobRef;
  /** float32 per output channel: w = scale·(2j − L)/L. */
  readonly scales: BlobRef;
  /** float32 per output channel, or null. */
  readonly bias: BlobRef | null;
}

export interface ConvLayer extends WeightedBase {
  readonly op: 'conv';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

export interface LinearLayer extends WeightedBase {
  readonly op: 'linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
}

export interface PoolLayer extends LayerBase {
  readonly op: 'pool';
  readonly kind: 'max' | 'avg';
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  /** avg only: divide by kh·kw (true) or by the in-bounds count (false, default). */
  readonly countIncludePad: boolean;
}

export interface SimpleLayer extends LayerBase {
  readonly op: 'relu' | 'flatten' | 'add';
}

export interface BatchNormLayer extends LayerBase {
  readonly op: 'bn';
  readonly eps: number;
  /** float32 [gamma, beta, mean, variance] × channels. */
  readonly params: BlobRef;
}

export type WeightedLayer = ConvLayer | LinearLayer;
export type PackedLayer = ConvLayer | LinearLayer | PoolLayer | SimpleLayer | BatchNormLayer;
export type LayerOp = PackedLayer['op'];

export interface PackedManifest {
  readonly format: typeof PACKED_FORMAT;
  readonly version: number;
  /** Per-sample input shape, e.g. [1, 28, 28]. */
  readonly input: { readonly shape: readonly number[] };
  /** Name of the layer whose output is the model's output (logits). */
  readonly output: string;
  readonly layers: readonly PackedLayer[];
  /** Free-form producer information (bit-widths summary, accuracy, run id, …). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** Largest element count of any per-sample activation the reader accepts (guards allocations). */
export const MAX_ACTIVATION_ELEMENTS = 1 << 26;

export const INPUT_NAME = 'input';

export class ManifestError extends Error {}

/** Throws for a field holding the value `got` (shown as JSON for strings, by kind for objects). */
function fail(path: string, expected: string, got: unknown): never {
  const shown =
    typeof got === 'string'
      ? JSON.stringify(got)
      : Array.isArray(got)
        ? 'an array'
        : got === null
          ? 'null'
          : typeof got === 'object'
            ? 'an object'
            : String(got);
  return mismatch(path, expected, shown);
}

/** Throws for a field whose problem is described by `found` (a count, a shape, …). */
function mismatch(path: string, expected: string, found: string): never {
  throw new ManifestError(`${path}: expected ${expected}, got ${found}`);
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v as Record<string, unknown>;
}

function keys(
  o: Record<string, unknown>,
  path: string,
  required: readonly string[],
  optional: readonly string[] = [],
) {
  for (const k of required) if (!(k in o)) throw new ManifestError(`${path}: missing field "${k}"`);
  for (const k of Object.keys(o)) {
    if (!required.includes(k) && !optional.includes(k))
      throw new ManifestError(`${path}: unknown field "${k}"`);
  }
}

function int(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(path, `an integer in [${min}, ${max}]`, v);
  return v;
}

function positiveFinite(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(path, 'a positive finite number', v);
  return v;
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(path, 'a non-empty string', v);
  return v;
}

function array(v: unknown, path: string, length?: number): unknown[] {
  if (!Array.isArray(v)) fail(path, length === undefined ? 'an array' : `an array of ${length}`, v);
  if (length !== undefined && v.length !== length)
    mismatch(path, `an array of ${length}`, `${v.length} elements`);
  return v;
}

function shape(v: unknown, path: string): number[] {
  const dims = array(v, path).map((d, i) => int(d, `${path}[${i}]`, 1, MAX_ACTIVATION_ELEMENTS));
  if (dims.length === 0 || dims.length > 3) mismatch(path, 'a shape of rank 1 to 3', `rank ${dims.length}`);
  if (elements(dims) > MAX_ACTIVATION_ELEMENTS)
    fail(path, `at most ${MAX_ACTIVATION_ELEMENTS} elements`, elements(dims));
  return dims;
}

function pair(v: unknown, path: string, min: number): [number, number] {
  const [a, b] = array(v, path, 2);
  return [int(a, `${path}[0]`, min, 1 << 16), int(b, `${path}[1]`, min, 1 << 16)];
}

function blob(v: unknown, path: string): BlobRef {
  const o = object(v, path);
  keys(o, path, ['offset', 'length']);
  return { offset: int(o.offset, `${path}.offset`, 0), length: int(o.length, `${path}.length`, 0) };
}

export function elements(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

const WEIGHTED = ['weightBits', 'activation', 'weights', 'scales', 'bias'];
const COMMON = ['name', 'op', 'inputs', 'inShape', 'outShape'];

/** Shape rule of each op: the output shape of a layer given its input shapes (throws on mismatch). */
export function inferOutShape(
  layer: PackedLayer,
  inShapes: readonly (readonly number[])[],
  path: string,
): number[] {
  const [x] = inShapes;
  const rank3 = () => {
    if (x.length !== 3) mismatch(`${path}.inShape`, 'a [channels, height, width] shape', `[${x.join(', ')}]`);
    return x;
  };
  switch (layer.op) {
    case 'conv': {
      const [c, h, w] = rank3();
      if (c !== layer.inChannels) fail(`${path}.inChannels`, `${c} (the input's channels)`, layer.inChannels);
      if (c % layer.groups !== 0 || layer.outChannels % layer.groups !== 0) {
        fail(
          `${path}.groups`,
          `a divisor of inChannels ${c} and outChannels ${layer.outChannels}`,
          layer.groups,
        );
      }
      const ho = convOutputSize(h, layer.kernel[0], layer.stride[0], layer.padding[0], layer.dilation[0]);
      const wo = convOutputSize(w, layer.kernel[1], layer.stride[1], layer.padding[1], layer.dilation[1]);
      if (ho < 1 || wo < 1)
        mismatch(`${path}.kernel`, `a window that fits the ${h}×${w} input`, `${ho}×${wo} outputs`);
      return [layer.outChannels, ho, wo];
    }
    case 'linear':
      if (elements(x) !== layer.inFeatures)
        fail(`${path}.inFeatures`, `${elements(x)} (the input's elements)`, layer.inFeatures);
      return [layer.outFeatures];
    case 'pool': {
      const [c, h, w] = rank3();
      const ho = convOutputSize(h, layer.kernel[0], layer.stride[0], layer.padding[0]);
      const wo = convOutputSize(w, layer.kernel[1], layer.stride[1], layer.padding[1]);
      if (ho < 1 || wo < 1)
        mismatch(`${path}.kernel`, `a window that fits the ${h}×${w} input`, `${ho}×${wo} outputs`);
      if (layer.padding[0] * 2 > layer.kernel[0] || layer.padding[1] * 2 > layer.kernel[1]) {
        mismatch(`${path}.padding`, 'at most half the window', `[${layer.padding.join(', ')}]`);
      }
      return [c, ho, wo];
    }
    case 'flatten':
      return [elements(x)];
    case 'add':
      if (inShapes.length !== 2) mismatch(`${path}.inputs`, 'two inputs', `${inShapes.length}`);
      if (!sameShape(inShapes[0], inShapes[1])) {
        mismatch(
          `${path}.inputs`,
          'two inputs of the same shape',
          `[${inShapes[0].join(', ')}] and [${inShapes[1].join(', ')}]`,
        );
      }
      return [...x];
    case 'relu':
    case 'bn':
      return [...x];
  }
}

function weightedFields(o: Record<string, unknown>, path: string) {
  const bits = array(o.weightBits, `${path}.weightBits`).map((b, i) =>
    int(b, `${path}.weightBits[${i}]`, 0, LOWBIT_MAX_BITS),
  );
  let activation: ActivationSpec | null = null;
  if (o.activation !== null) {
    const a = object(o.activation, `${path}.activation`);
    keys(a, `${path}.activation`, ['bits', 'clip']);
    activation = {
      bits: int(a.bits, `${path}.activation.bits`, 1, LOWBIT_MAX_BITS),
      clip: positiveFinite(a.clip, `${path}.activation.clip`),
    };
  }
  return {
    weightBits: bits,
    activation,
    weights: blob(o.weights, `${path}.weights`),
    scales: blob(o.scales, `${path}.scales`),
    bias: o.bias === null ? null : blob(o.bias, `${path}.bias`),
  };
}

/** Parses one layer object (fields and types only; shapes are checked by `validateManifest`). */
function parseLayer(v: unknown, path: string): PackedLayer {
  const o = object(v, path);
  const op = o.op;
  const base = () => ({
    name: string(o.name, `${path}.name`),
    inputs: array(o.inputs, `${path}.inputs`, op === 'add' ? 2 : 1).map((s, i) =>
      string(s, `${path}.inputs[${i}]`),
    ),
    inShape: shape(o.inShape, `${path}.inShape`),
    outShape: shape(o.outShape, `${path}.outShape`),
  });
  switch (op) {
    case 'conv': {
      keys(o, path, [
        ...COMMON,
        ...WEIGHTED,
        'inChannels',
        'outChannels',
        'kernel',
        'stride',
        'padding',
        'dilation',
        'groups',
      ]);
      return {
        op,
        ...base(),
        inChannels: int(o.inChannels, `${path}.inChannels`, 1, 1 << 20),
        outChannels: int(o.outChannels, `${path}.outChannels`, 1, 1 << 20),
        kernel: pair(o.kernel, `${path}.kernel`, 1),
        stride: pair(o.stride, `${path}.stride`, 1),
        padding: pair(o.padding, `${path}.padding`, 0),
        dilation: pair(o.dilation, `${path}.dilation`, 1),
        groups: int(o.groups, `${path}.groups`, 1, 1 << 20),
        ...weightedFields(o, path),
      };
    }
    case 'linear':
      keys(o, path, [...COMMON, ...WEIGHTED, 'inFeatures', 'outFeatures']);
      return {
        op,
        ...base(),
        inFeatures: int(o.inFeatures, `${path}.inFeatures`, 1, MAX_ACTIVATION_ELEMENTS),
        outFeatures: int(o.outFeatures, `${path}.outFeatures`, 1, 1 << 20),
        ...weightedFields(o, path),
      };
    case 'pool': {
      keys(o, path, [...COMMON, 'kind', 'kernel', 'stride', 'padding'], ['countIncludePad']);
      if (o.kind !== 'max' && o.kind !== 'avg') fail(`${path}.kind`, '"max" or "avg"', o.kind);
      if (o.countIncludePad !== undefined && typeof o.countIncludePad !== 'boolean') {
        fail(`${path}.countIncludePad`, 'a boolean', o.countIncludePad);
      }
      return {
        op,
        ...base(),
        kind: o.kind,
        kernel: pair(o.kernel, `${path}.kernel`, 1),
        stride: pair(o.stride, `${path}.stride`, 1),
        padding: pair(o.padding, `${path}.padding`, 0),
        countIncludePad: o.countIncludePad === true,
      };
    }
    case 'bn':
      keys(o, path, [...COMMON, 'eps', 'params']);
      return {
        op,
        ...base(),
        eps: positiveFinite(o.eps, `${path}.eps`),
        params: blob(o.params, `${path}.params`),
      };
    case 'relu':
    case 'flatten':
    case 'add':
      keys(o, path, COMMON);
      return { op, ...base() };
    default:
      return fail(`${path}.op`, 'one of "conv", "linear", "pool", "relu", "flatten", "add", "bn"', op);
  }
}

/**
 * Validates a parsed manifest: schema, names (unique, inputs refer to earlier layers), and every
 * layer's shapes against its inputs and its op's shape rule. Returns the typed manifest.
 */
export function validateManifest(v: unknown): PackedManifest {
  const o = object(v, 'manifest');
  keys(o, 'manifest', ['format', 'version', 'input', 'output', 'layers'], ['meta']);
  if (o.format !== PACKED_FORMAT) fail('manifest.format', JSON.stringify(PACKED_FORMAT), o.format);
  const version = int(o.version, 'manifest.version', PACKED_VERSION, PACKED_VERSION);
  const input = object(o.input, 'manifest.input');
  keys(input, 'manifest.input', ['shape']);
  const inputShape = shape(input.shape, 'manifest.input.shape');
  const output = string(o.output, 'manifest.output');
  if (o.meta !== undefined) object(o.meta, 'manifest.meta');
  const rawLayers = array(o.layers, 'manifest.layers');
  if (rawLayers.length === 0) mismatch('manifest.layers', 'at least one layer', 'none');
  const shapes = new Map<string, readonly number[]>([[INPUT_NAME, inputShape]]);
  const layers = rawLayers.map((raw, i) => {
    const path = `manifest.layers[${i}]`;
    const layer = parseLayer(raw, path);
    if (shapes.has(layer.name)) fail(`${path}.name`, 'a name not used before (nor "input")', layer.name);
    const inShapes = layer.inputs.map((name, j) => {
      const s = shapes.get(name);
      if (!s) fail(`${path}.inputs[${j}]`, 'the name of an earlier layer or "input"', name);
      return s;
    });
    if (!sameShape(layer.inShape, inShapes[0])) {
      mismatch(
        `${path}.inShape`,
        `[${inShapes[0].join(', ')}] (the shape of "${layer.inputs[0]}")`,
        `[${layer.inShape.join(', ')}]`,
      );
    }
    const out = inferOutShape(layer, inShapes, path);
    if (!sameShape(layer.outShape, out))
      mismatch(`${path}.outShape`, `[${out.join(', ')}]`, `[${layer.outShape.join(', ')}]`);
    if (layer.op === 'conv' || layer.op === 'linear') {
      const channels = layer.op === 'conv' ? layer.outChannels : layer.outFeatures;
      if (layer.weightBits.length !== channels) {
        mismatch(
          `${path}.weightBits`,
          `${channels} bit-widths (one per output channel)`,
          `${layer.weightBits.length}`,
        );
      }
    }
    if (layer.op === 'bn' && layer.inShape.length !== 3 && layer.inShape.length !== 1) {
      mismatch(`${path}.inShape`, 'a [channels, h, w] or [channels] shape', `[${layer.inShape.join(', ')}]`);
    }
    shapes.set(layer.name, out);
    return layer;
  });
  if (!layers.some((l) => l.name === output)) fail('manifest.output', 'the name of a layer', output);
  return {
    format: PACKED_FORMAT,
    version,
    input: { shape: inputShape },
    output,
    layers,
    ...(o.meta === undefined ? {} : { meta: o.meta as Record<string, unknown> }),
  };
}

/** Taps per output channel of a conv/linear layer (the packed row length k). */
export function rowLength(layer: WeightedLayer): number {
  return layer.op === 'linear'
    ? layer.inFeatures
    : (layer.inChannels / layer.groups) * layer.kernel[0] * layer.kernel[1];
}

/** Output channels of a conv/linear layer. */
export function channelsOf(layer: WeightedLayer): number {
  return layer.op === 'linear' ? layer.outFeatures : layer.outChannels;
}
