/**
 * The `acme-json` exporter: the searched bit-widths in the JSON layout the EdgeNPU-1 compiler
 * reads (one entry per conv / linear layer: geometry, weight bits per layer or per output
 * channel, input-activation bits) plus run metadata and the latency this plugin predicts. It
 * needs nothing from the engine's model object: the plugin interface hands over the layer list
 * and the integer bits, which is all the format holds.
 */
import {
  type BitAssignment,
  defineExporter,
  type ExportedFile,
  type Exporter,
  type LayerInfo,
} from '@fracbits/plugin-api';
import { EDGE_NPU_1 } from './accelerator.js';
import { acmeLatency, layerKind } from './latency.js';

export const JSON_FORMAT = 'acme-json';
export const JSON_FORMAT_ID = 'acme-npu-bits';
export const JSON_FORMAT_VERSION = 1;

/** One layer of the file. */
export interface AcmeLayerEntry {
  readonly name: string;
  readonly kind: 'conv' | 'depthwise' | 'linear';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly groups: number;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** One number (layer-wise or pinned) or one per output channel (kernel-wise); 0 = pruned. */
  readonly weightBits: number | readonly number[];
  /** Bits of the layer's input activation (the first layer's image counts as 8). */
  readonly activationBits: number;
  /** True where the method fixed the bits (first conv, last linear). */
  readonly pinned: boolean;
  readonly latencyUs: number;
}

/** The whole file. */
export interface AcmeBitsFile {
  readonly format: typeof JSON_FORMAT_ID;
  readonly version: typeof JSON_FORMAT_VERSION;
  readonly accelerator: string;
  readonly model: string;
  readonly inputShape: readonly number[];
  readonly latencyUs: number;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly layers: readonly AcmeLayerEntry[];
}

function integerBits(layer: LayerInfo, bits: BitAssignment): { w: number[]; a: number } {
  const w = layer.pinned?.w !== undefined ? [layer.pinned.w] : [...bits.w];
  const a = layer.pinned?.a ?? bits.a;
  for (const b of [...w, a]) {
    if (!(Number.isInteger(b) && b >= 0 && b <= 8)) {
      throw new Error(
        `${JSON_FORMAT} exporter: layer "${layer.name}" has bit-width ${b}; expected integers in 0..8 (export after discretisation)`,
      );
    }
  }
  return { w, a };
}

/** Builds the file contents (exported for tests and for callers that want the object). */
export function acmeBitsFile(
  name: string,
  layers: readonly LayerInfo[],
  bits: readonly BitAssignment[],
  inputShape: readonly number[],
  metadata: Readonly<Record<string, unknown>> = {},
): AcmeBitsFile {
  if (layers.length !== bits.length) {
    throw new Error(
      `${JSON_FORMAT} exporter: expected one bit assignment per layer (${layers.length}), got ${bits.length}`,
    );
  }
  const latency = acmeLatency({ unit: 'us' }).evaluate(layers, bits);
  return {
    format: JSON_FORMAT_ID,
    version: JSON_FORMAT_VERSION,
    accelerator: EDGE_NPU_1.name,
    model: name,
    inputShape: [...inputShape],
    latencyUs: latency.total,
    metadata: { ...metadata },
    layers: layers.map((layer, i) => {
      const { w, a } = integerBits(layer, bits[i]);
      return {
        name: layer.name,
        kind: layerKind(layer),
        inChannels: layer.inChannels,
        outChannels: layer.outChannels,
        kernel: layer.kernel,
        stride: layer.stride,
        groups: layer.groups,
        inputShape: layer.inputShape,
        outputShape: layer.outputShape,
        weightBits: w.length === 1 ? w[0] : w,
        activationBits: a,
        pinned: layer.pinned !== undefined,
        latencyUs: latency.perLayer[i],
      };
    }),
  };
}

export const acmeJsonExporter: Exporter = defineExporter({
  specificationVersion: 'v1',
  name: JSON_FORMAT,
  description: `bit-widths per layer for the ${EDGE_NPU_1.name} compiler (JSON), with the predicted latency`,
  formats: [JSON_FORMAT],
  async export({ name, layers, bits, format, inputShape, metadata }): Promise<ExportedFile[]> {
    if (format !== JSON_FORMAT) {
      throw new Error(`${JSON_FORMAT} exporter: expected format '${JSON_FORMAT}', got '${format}'`);
    }
    const file = acmeBitsFile(name, layers, bits, inputShape, metadata);
    return [
      {
        path: `${name}.acme.json`,
        data: `${JSON.stringify(file, null, 2)}\n`,
        mediaType: 'application/json',
        description: `${EDGE_NPU_1.name} bit-widths, predicted latency ${file.latencyUs.toFixed(2)} µs`,
      },
    ];
  },
});
