/**
 * Whole-model helpers: wrap every conv / linear layer of a float model in its quantized
 * counterpart (pinning the first conv and the last linear, FRACBITS.md §2), read and set the
 * bit-widths, and describe the quantized layers for cost models.
 */

import { Conv2d, describeLayers, type LayerDescription, Linear, type Module } from '@fracbits/nn';
import type { BitAssignment, LayerInfo, PinnedBits } from '@fracbits/plugin-api';
import type { Shape } from '@fracbits/tensor';
import { checkMode, type QuantMode } from './bits.js';
import { type Granularity, type IntegerLayerBits, QConv2d, QLinear, type QuantizedLayer } from './layers.js';
import { checkBitsRange } from './quantizers.js';

export interface QuantizeModelOptions {
  /** One λw per layer or per output channel (default 'layer'). */
  readonly granularity?: Granularity;
  /** Budget-equivalent bits (λ starts at targetBits + 0.5 when searching). */
  readonly targetBits: number;
  /** [bmin, bmax] (default [2, 8]; [0, 8] makes 0-bit, i.e. pruned, channels reachable). */
  readonly bitsRange?: readonly [number, number];
  /**
   * [bmin, bmax] of the input-activation λa, when it differs from `bitsRange` (default: the same).
   * Pruning runs use [0, 8] for weights and e.g. [2, 8] here: a 0-bit input zeroes a whole layer.
   */
  readonly activationBitsRange?: readonly [number, number];
  /** 'search' (default), 'fixed' (uniform QAT at targetBits) or 'float'. */
  readonly mode?: QuantMode;
  /** SAT rescale of the last linear layer's weights (FRACBITS.md §2 option; default false). */
  readonly satRescale?: boolean;
  /**
   * Which layers' inputs can be negative and need double-sided PACT. Default: none (every
   * non-first layer of the zoo models follows a ReLU). A list of layer names, a predicate, or
   * `true` for all.
   */
  readonly activationSigned?: boolean | readonly string[] | ((name: string) => boolean);
  /**
   * One sample's input shape without the batch, e.g. [1, 28, 28]: the layers are then ordered by
   * execution (describeLayers) to find the first conv and last linear; without it, by
   * registration order.
   */
  readonly inputShape?: Shape;
  /** Pin the first conv (weights 8 bits, input unquantized, counted as 8 bits). Default true. */
  readonly pinFirst?: boolean;
  /** Pin the last linear's weights at 8 bits (its input is still learned). Default true. */
  readonly pinLast?: boolean;
  /** Bits of pinned weights and of the unquantized first input (default 8). */
  readonly pinnedBits?: number;
  /** Initial PACT clip for convs and linear layers (default 8 and 10). */
  readonly alphaInit?: { readonly conv?: number; readonly linear?: number };
}

/** What quantizeModel did to one layer. */
export interface QuantizedLayerReport {
  readonly name: string;
  readonly kind: 'conv' | 'linear';
  /** Bits fixed by the method, absent for fully learnable layers. */
  readonly pinned?: PinnedBits;
  readonly quantizesInput: boolean;
  readonly signedInput: boolean;
  /** Entries of λw: 1 (layer-wise or pinned) or C_out (kernel-wise). */
  readonly weightBitsSize: number;
}

export interface QuantizedModel<M extends Module = Module> {
  /** The same model object, its conv / linear layers replaced in place. */
  readonly model: M;
  readonly layers: QuantizedLayerReport[];
}

type FloatLayer = Conv2d | Linear;

function isQuantized(m: Module): m is QuantizedLayer {
  return m instanceof QConv2d || m instanceof QLinear;
}

/** Every quantized layer of a model with its dotted name, in registration order. */
export function quantizedLayers(model: Module): [string, QuantizedLayer][] {
  return model.namedModules().filter((e): e is [string, QuantizedLayer] => isQuantized(e[1]));
}

function signedPredicate(option: QuantizeModelOptions['activationSigned']): (name: string) => boolean {
  if (option === undefined || typeof option === 'boolean') return () => option === true;
  if (typeof option === 'function') return option;
  const names = new Set(option);
  return (name) => names.has(name);
}

/** Float conv / linear layers with their parent and child key, in execution or registration order. */
function findLayers(
  model: Module,
  inputShape: Shape | undefined,
): { name: string; parent: Module; key: string; layer: FloatLayer }[] {
  const found: { name: string; parent: Module; key: string; layer: FloatLayer }[] = [];
  for (const [path, parent] of model.namedModules()) {
    for (const [key, child] of parent.children()) {
      if (child instanceof Conv2d || child instanceof Linear) {
        found.push({ name: path ? `${path}.${key}` : key, parent, key, layer: child });
      }
    }
  }
  if (inputShape === undefined) return found;
  const order = new Map(
    describeLayers(model, inputShape).map((d, i) => [d.name.replace(/#\d+$/, ''), i] as const),
  );
  return found.sort((a, b) => (order.get(a.name) ?? Infinity) - (order.get(b.name) ?? Infinity));
}

/**
 * Replaces every Conv2d / Linear of `model` by a QConv2d / QLinear (in place) and reports what it
 * did. The first conv (in execution order when `inputShape` is given) gets 8-bit weights and an
 * unquantized input counted as 8 bits; the last linear gets 8-bit weights and a learned input.
 */
export function quantizeModel<M extends Module>(model: M, options: QuantizeModelOptions): QuantizedModel<M> {
  const who = 'quantizeModel';
  const mode = options.mode ?? 'search';
  checkMode(who, mode);
  const range = options.bitsRange ?? [2, 8];
  checkBitsRange(who, range[0], range[1]);
  const aRange = options.activationBitsRange;
  if (aRange) checkBitsRange(`${who} (activationBitsRange)`, aRange[0], aRange[1]);
  const pinnedBits = options.pinnedBits ?? 8;
  checkBitsRange(`${who} (pinnedBits)`, pinnedBits, pinnedBits);
  if (model instanceof Conv2d || model instanceof Linear) {
    throw new Error(
      `${who}: the model itself is a ${model.constructor.name}; wrap it in a container (e.g. Sequential) first`,
    );
  }
  if (quantizedLayers(model).length > 0) throw new Error(`${who}: the model is already quantized`);
  const layers = findLayers(model, options.inputShape);
  if (layers.length === 0) throw new Error(`${who}: the model has no Conv2d or Linear layer to quantize`);
  const first = options.pinFirst === false ? undefined : layers.find((l) => l.layer instanceof Conv2d);
  const lastLinear =
    options.pinLast === false ? undefined : layers.filter((l) => l.layer instanceof Linear).pop();
  const signed = signedPredicate(options.activationSigned);

  const reports = layers.map(({ name, parent, key, layer }) => {
    const isFirst = layer === first?.layer;
    const isLast = layer === lastLinear?.layer;
    const common = {
      granularity: options.granularity,
      targetBits: options.targetBits,
      bitsRange: range,
      activationBitsRange: aRange,
      mode,
      pinWeightBits: isFirst || isLast ? pinnedBits : undefined,
      quantizeInput: !isFirst,
      inputBits: pinnedBits,
      signedInput: !isFirst && signed(name),
      satRescale: isLast && (options.satRescale ?? false),
    };
    const q =
      layer instanceof Conv2d
        ? new QConv2d(layer, { ...common, alphaInit: options.alphaInit?.conv })
        : new QLinear(layer, { ...common, alphaInit: options.alphaInit?.linear });
    parent.replaceModule(key, q);
    const report: QuantizedLayerReport = {
      name,
      kind: layer instanceof Conv2d ? 'conv' : 'linear',
      ...(q.pinned ? { pinned: q.pinned } : {}),
      quantizesInput: q.bitsA !== null,
      signedInput: q.signedInput,
      weightBitsSize: q.bitsW.size,
    };
    return report;
  });
  return { model, layers: reports };
}

/** Bit-widths of one quantized layer. */
export interface LayerBits {
  readonly name: string;
  /** λ̂w: 1 entry (layer-wise or pinned) or one per output channel. */
  readonly w: number[];
  /** λ̂a of the layer's input (the counted 8 bits for an unquantized input). */
  readonly a: number;
  readonly pinned?: PinnedBits;
}

function layerBits(name: string, layer: QuantizedLayer, bits: { w: number[]; a: number }): LayerBits {
  const pinned = layer.pinned;
  return { name, ...bits, ...(pinned ? { pinned } : {}) };
}

/** The clamped fractional (or, after discretisation, integer) bit-widths of every quantized layer. */
export async function getBits(model: Module): Promise<LayerBits[]> {
  return Promise.all(quantizedLayers(model).map(async ([name, l]) => layerBits(name, l, await l.readBits())));
}

/** {@link getBits} for backends with synchronous reads (CPU). */
export function getBitsSync(model: Module): LayerBits[] {
  return quantizedLayers(model).map(([name, l]) => layerBits(name, l, l.readBitsSync()));
}

/** Integer bits for one layer (see IntegerLayerBits). */
export type IntegerBits = IntegerLayerBits;

/**
 * Fixes the bit-widths to integers (FRACBITS.md §4 "fix every bit-width to round(λ + o)") and
 * freezes the whole model (mode 'fixed'). `bits` maps layer names to their bits (e.g. from a
 * discretisation result); every layer with a learnable bit-width must be named, so none keeps
 * training its λ by mistake. Unknown names are an error.
 */
export function setIntegerBits(
  model: Module,
  bits:
    | ReadonlyMap<string, IntegerBits>
    | Readonly<Record<string, IntegerBits>>
    | readonly (IntegerBits & { name: string })[],
): void {
  const entries: [string, IntegerBits][] = Array.isArray(bits)
    ? (bits as readonly (IntegerBits & { name: string })[]).map((b) => [b.name, b])
    : bits instanceof Map
      ? [...bits]
      : Object.entries(bits as Readonly<Record<string, IntegerBits>>);
  const layers = new Map(quantizedLayers(model));
  const named = new Map<string, IntegerBits>();
  for (const [name, b] of entries) {
    const base = name.replace(/#\d+$/, '');
    if (!layers.has(base)) {
      throw new Error(
        `setIntegerBits: no quantized layer "${name}" (layers: ${[...layers.keys()].join(', ') || 'none'})`,
      );
    }
    if (!named.has(base)) named.set(base, b);
  }
  const missing = [...layers]
    .filter(([name, l]) => l.lambdas().length > 0 && !named.has(name))
    .map(([name]) => name);
  if (missing.length > 0)
    throw new Error(`setIntegerBits: no bits given for learnable layer(s) ${missing.join(', ')}`);
  // Validate everything before changing anything.
  for (const [name, b] of named) layers.get(name)?.checkIntegerBits(b);
  for (const [name, b] of named) layers.get(name)?.setIntegerBits(b);
  for (const l of layers.values()) l.mode = 'fixed';
}

/** Switches every quantized layer to `mode` ('search' → 'fixed' at the end of the search, …). */
export function setQuantMode(model: Module, mode: QuantMode): void {
  checkMode('setQuantMode', mode);
  for (const [, l] of quantizedLayers(model)) l.mode = mode;
}

/**
 * The LayerInfo (plugin-api) of one layer application described by nn's `describeLayers`: shapes
 * without the batch, and `params` counting weights only (LayerInfo keeps the bias apart).
 */
export function toLayerInfo(d: LayerDescription): LayerInfo {
  return {
    name: d.name,
    kind: d.kind,
    inChannels: d.inChannels,
    outChannels: d.outChannels,
    kernel: [d.kernel[0], d.kernel[1]],
    stride: [d.stride[0], d.stride[1]],
    groups: d.groups,
    inputShape: d.inputShape.slice(1),
    outputShape: d.outputShape.slice(1),
    macs: d.macs,
    params: d.params - (d.hasBias ? d.outChannels : 0),
    hasBias: d.hasBias,
  };
}

/**
 * LayerInfo (for cost models) of every quantized-layer application, in execution order, for one
 * sample of `inputShape` (without the batch). A layer applied twice appears twice ('name#2').
 */
export function layerInfos(model: Module, inputShape: Shape): LayerInfo[] {
  const modules = new Map(model.namedModules());
  return describeLayers(model, inputShape).map((d) => {
    const layer = modules.get(d.name.replace(/#\d+$/, ''));
    if (!layer || !isQuantized(layer)) {
      throw new Error(`layerInfos: layer "${d.name}" is not quantized; run quantizeModel on the model first`);
    }
    const pinned = layer.pinned;
    return { ...toLayerInfo(d), ...(pinned ? { pinned } : {}) };
  });
}

/** The bits of each LayerInfo (by name, applications sharing their layer's bits). */
export function assignmentFor(infos: readonly LayerInfo[], bits: readonly LayerBits[]): BitAssignment[] {
  const byName = new Map(bits.map((b) => [b.name, b]));
  return infos.map((info) => {
    const b = byName.get(info.name.replace(/#\d+$/, ''));
    if (!b) throw new Error(`assignmentFor: no bit-widths for layer "${info.name}"`);
    return { w: b.w, a: b.a };
  });
}
