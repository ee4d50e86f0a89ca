/**
 * Layer descriptions for cost models: a shape-only walk of a model (`Module.outputShape`) during
 * which conv and linear layers report what they compute. Nothing is executed for layers that
 * implement `outputShape`, so a 224×224 ImageNet model is described instantly.
 */
import { formatShape, type Shape, sizeOf } from '@fracbits/tensor';
import type { Module } from './module.js';

export type LayerKind = 'conv' | 'linear';

/** What a conv or linear layer reports about one application. */
export interface LayerGeometry {
  readonly kind: LayerKind;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly hasBias: boolean;
}

export interface LayerDescription extends LayerGeometry {
  /** Dotted module path ('layer1.0.conv1'); a layer applied twice appears twice with '#2'. */
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Multiply-accumulates for the described input (batch 1). */
  readonly macs: number;
  /** Weight plus bias elements. */
  readonly params: number;
}

interface Record_ {
  readonly module: Module;
  readonly geometry: LayerGeometry;
  readonly inputShape: number[];
  readonly outputShape: number[];
}

let active: Record_[] | null = null;

/**
 * Called by conv/linear layers (and wrappers that compute like one, e.g. quantized layers) from
 * `outputShape` and `forward`; records only while describeLayers runs.
 */
export function traceLayer(
  module: Module,
  geometry: LayerGeometry,
  inputShape: Shape,
  outputShape: Shape,
): void {
  active?.push({ module, geometry, inputShape: [...inputShape], outputShape: [...outputShape] });
}

/** MACs of one conv/linear application: every output element sums kh·kw·C_in/groups products. */
export function layerMacs(geometry: LayerGeometry, outputShape: Shape): number {
  const [kh, kw] = geometry.kernel;
  const perOutput = (geometry.inChannels / geometry.groups) * kh * kw;
  return sizeOf(outputShape) * perOutput;
}

export function layerParams(geometry: LayerGeometry): number {
  const [kh, kw] = geometry.kernel;
  const weight = geometry.outChannels * (geometry.inChannels / geometry.groups) * kh * kw;
  return weight + (geometry.hasBias ? geometry.outChannels : 0);
}

/**
 * Describes every conv/linear layer of `model` for one sample of shape `inputShape` (without the
 * batch dimension, e.g. [3, 224, 224]), in execution order.
 */
export function describeLayers(model: Module, inputShape: Shape): LayerDescription[] {
  if (inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(
      `describeLayers: inputShape must be positive integers without the batch, got ${formatShape(inputShape)}`,
    );
  }
  if (active) throw new Error('describeLayers: already running (it is not reentrant)');
  const names = new Map<Module, string>();
  for (const [name, m] of model.namedModules()) if (!names.has(m)) names.set(m, name);
  const records: Record_[] = [];
  active = records;
  try {
    model.outputShape([1, ...inputShape]);
  } finally {
    active = null;
  }
  const uses = new Map<Module, number>();
  return records.map((r) => {
    const n = (uses.get(r.module) ?? 0) + 1;
    uses.set(r.module, n);
    const base = names.get(r.module) ?? r.module.constructor.name;
    return {
      name: n === 1 ? base : `${base}#${n}`,
      ...r.geometry,
      inputShape: r.inputShape,
      outputShape: r.outputShape,
      macs: layerMacs(r.geometry, r.outputShape),
      params: layerParams(r.geometry),
    };
  });
}
