/**
 * The `acme-latency` cost model: inference latency of one image on the Acme EdgeNPU-1
 * (accelerator.ts), differentiable in fractional bit-widths with its exact gradient.
 *
 * Each output channel o of a layer gets an equal share of the layer's MACs and weights:
 *   compute_o = (MACs / C_out) · t_kind(w_o, a) ps        (t: the interpolated table)
 *   weights_o = (params / C_out) · w_o / 8 bytes ÷ bandwidth
 * plus, per layer, the bias transfer and a fixed launch cost. Layer-wise bits are the same
 * formula with every w_o equal (the gradient is then the sum over channels). Pinned bit-widths
 * (first conv, last linear) replace the assigned ones and get a zero gradient, as the plugin
 * specification asks.
 */
import {
  type BitAssignment,
  type CostEvaluation,
  type CostModel,
  defineCostModel,
  defineFactory,
  type LayerInfo,
} from '@fracbits/plugin-api';
import { type AcceleratorSpec, EDGE_NPU_1, type LayerKind, tableAt } from './accelerator.js';
import { bilinear } from './interpolate.js';
import { LATENCY_UNITS, type LatencyUnit, microsecondsPer, parseLatency } from './units.js';

export const LATENCY_MODEL_NAME = 'acme-latency';

const PS_PER_US = 1e6;

/** The table row a layer uses: depthwise when every group holds one input channel. */
export function layerKind(layer: LayerInfo): LayerKind {
  if (layer.kind === 'linear') return 'linear';
  return layer.groups > 1 && layer.groups === layer.inChannels ? 'depthwise' : 'conv';
}

function checkBits(value: number, what: string): void {
  if (!(Number.isFinite(value) && value >= 0 && value <= 8)) {
    throw new Error(`${LATENCY_MODEL_NAME}: ${what} must be a number in [0, 8], got ${value}`);
  }
}

/** Latency in µs of one layer and its gradient (µs per bit) in the shape of `bits`. */
function layerLatency(
  layer: LayerInfo,
  bits: BitAssignment,
  spec: AcceleratorSpec,
): { value: number; dw: number[]; da: number } {
  const channels = layer.outChannels;
  const assigned = bits.w;
  if (assigned.length !== 1 && assigned.length !== channels) {
    throw new Error(
      `${LATENCY_MODEL_NAME}: layer "${layer.name}": expected 1 or ${channels} weight bit-widths, got ${assigned.length}`,
    );
  }
  const pinnedW = layer.pinned?.w;
  const pinnedA = layer.pinned?.a;
  const w = pinnedW !== undefined ? [pinnedW] : assigned;
  const a = pinnedA ?? bits.a;
  w.forEach((b, i) => {
    checkBits(b, `layer "${layer.name}" weight bits [${i}]`);
  });
  checkBits(a, `layer "${layer.name}" activation bits`);

  const kind = layerKind(layer);
  const at = (wb: number, ab: number) => tableAt(kind, wb, ab);
  const macsPerChannel = layer.macs / channels;
  const bytesPerBit = layer.params / channels / 8;
  // Channels sharing one bit-width (layer-wise, pinned) are computed once and counted `repeat` times.
  const repeat = w.length === 1 ? channels : 1;
  let value = spec.launchUs + (layer.hasBias ? (channels * spec.biasBits) / 8 / spec.weightBytesPerUs : 0);
  let da = 0;
  const dw = w.map((wb) => {
    const t = bilinear(at, wb, a);
    value += repeat * ((macsPerChannel * t.value) / PS_PER_US + (bytesPerBit * wb) / spec.weightBytesPerUs);
    da += (repeat * macsPerChannel * t.da) / PS_PER_US;
    return (repeat * macsPerChannel * t.dw) / PS_PER_US + (repeat * bytesPerBit) / spec.weightBytesPerUs;
  });
  return {
    value,
    dw: pinnedW !== undefined ? assigned.map(() => 0) : dw,
    da: pinnedA !== undefined ? 0 : da,
  };
}

export interface LatencyOptions {
  /** Unit of every number the model returns: 'us' (default) or 'ms'. */
  readonly unit?: LatencyUnit;
  /** Another device described like the EdgeNPU-1 (same table layout). */
  readonly accelerator?: Partial<AcceleratorSpec>;
}

/** The latency cost model in `options.unit`. */
export function acmeLatency(options: LatencyOptions = {}): CostModel {
  const unit = options.unit ?? 'us';
  if (!LATENCY_UNITS.includes(unit)) {
    throw new Error(
      `${LATENCY_MODEL_NAME}: unit must be one of ${LATENCY_UNITS.map((u) => `'${u}'`).join(', ')}, got ${JSON.stringify(unit)}`,
    );
  }
  const spec: AcceleratorSpec = { ...EDGE_NPU_1, ...options.accelerator };
  const scale = 1 / microsecondsPer(unit, LATENCY_MODEL_NAME);
  return defineCostModel({
    specificationVersion: 'v1',
    name: LATENCY_MODEL_NAME,
    description: `inference latency on the ${spec.name} (bit-serial weights, 4-bit activation lanes, 8 GB/s weight stream), in ${unit}`,
    unit,
    evaluate(layers: readonly LayerInfo[], bits: readonly BitAssignment[]): CostEvaluation {
      if (layers.length !== bits.length) {
        throw new Error(
          `${LATENCY_MODEL_NAME}: expected one bit assignment per layer (${layers.length}), got ${bits.length}`,
        );
      }
      const results = layers.map((layer, i) => layerLatency(layer, bits[i], spec));
      const perLayer = results.map((r) => r.value * scale);
      return {
        total: perLayer.reduce((s, v) => s + v, 0),
        perLayer,
        grad: { w: results.map((r) => r.dw.map((d) => d * scale)), a: results.map((r) => r.da * scale) },
      };
    },
    parseBudget(text: string): number {
      return parseLatency(text, unit, `${LATENCY_MODEL_NAME} budget`);
    },
  });
}

/**
 * The model as a factory: the host creates it with the options the user gave, e.g. the unit a
 * budget's κ is per (`--budget acme-latency=2ms@unit=ms`).
 */
export const acmeLatencyFactory = defineFactory<CostModel>({
  specificationVersion: 'v1',
  name: LATENCY_MODEL_NAME,
  description: `inference latency on the ${EDGE_NPU_1.name} (lookup table per layer kind and bit pair, interpolated; µs, or ms with unit: 'ms')`,
  create(options) {
    const unit = options?.unit;
    if (unit !== undefined && typeof unit !== 'string') {
      throw new Error(`${LATENCY_MODEL_NAME}: option unit must be a string, got ${typeof unit}`);
    }
    return acmeLatency(unit === undefined ? {} : { unit: unit as LatencyUnit });
  },
});
