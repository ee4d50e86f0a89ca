/**
 * The two ONNX exports: `exportOnnxFloat` (any float model of nn layers and blocks, or an imported
 * graph) and `exportOnnxQdq` (a model quantized by @fracbits/core at integer bits). Both write
 * opset 21, check the graph with the JS-side checker, and put run facts in metadata_props.
 */
import type { Module } from '@fracbits/nn';
import type { Shape } from '@fracbits/tensor';
import { assertValidModel } from '../proto/checker.js';
import { encodeModel } from '../proto/codec.js';
import { type LayerExport, WEIGHT_ENCODINGS, type WeightEncoding } from './qdq.js';
import { writeModel } from './writer.js';

export interface OnnxExportOptions {
  /** One sample's input shape without the batch, e.g. [1, 28, 28]. */
  readonly inputShape: Shape;
  /**
   * Stored in metadata_props: strings as they are, anything else JSON-encoded (e.g. bits per
   * layer, budget, cost, accuracy).
   */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Graph name (default 'fracbits'). */
  readonly graphName?: string;
  /** Graph input / output names (default 'input' / 'output'). */
  readonly inputName?: string;
  readonly outputName?: string;
}

export interface QdqExportOptions extends OnnxExportOptions {
  /** How weight levels are stored: 'odd' (default, plain QDQ) or 'offset' (exact b-bit storage). */
  readonly weightEncoding?: WeightEncoding;
}

export interface QdqExport {
  /** The .onnx file. */
  readonly bytes: Uint8Array;
  /** One entry per quantized layer application, in graph order, with its weight bytes. */
  readonly layers: LayerExport[];
  /** Σ weightBytes: the stored integer weights. */
  readonly weightBytes: number;
  /** Σ packedBytes: the weights at exactly their bit-widths. */
  readonly packedBytes: number;
  /** The metadata_props written. */
  readonly metadata: Readonly<Record<string, string>>;
}

function metadataStrings(metadata: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (value === undefined) continue;
    out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

async function write(
  model: Module,
  options: OnnxExportOptions,
  format: 'float' | 'qdq',
  caller: string,
  extra: Record<string, string>,
  formatOptions: Record<string, unknown> = {},
) {
  const metadata = { ...metadataStrings(options.metadata), ...extra };
  const written = await writeModel(model, {
    format,
    caller,
    inputShape: options.inputShape,
    inputName: options.inputName,
    outputName: options.outputName,
    options: formatOptions,
    build: { graphName: options.graphName ?? 'fracbits', metadata },
  });
  return { written, metadata };
}

function finish(caller: string, written: Awaited<ReturnType<typeof writeModel>>): Uint8Array {
  assertValidModel(written.model, caller);
  return encodeModel(written.model);
}

/**
 * A float model as ONNX (opset 21): Conv / Gemm / MatMul / BatchNormalization / Relu / Clip /
 * pooling / Flatten / Reshape / Add / Slice / Pad nodes, parameters as float32 initializers,
 * BatchNorm with its running statistics (eval mode). Input [N, ...inputShape].
 */
export async function exportOnnxFloat(model: Module, options: OnnxExportOptions): Promise<Uint8Array> {
  const caller = 'exportOnnxFloat';
  const { written } = await write(model, options, 'float', caller, { 'fracbits.format': 'float' });
  return finish(caller, written);
}

/**
 * A model quantized by @fracbits/core (integer bits, e.g. after discretisation) as a QDQ ONNX
 * model (opset 21): integer weights with DequantizeLinear (INT4/INT8/INT16, per-output-channel
 * scales for kernel-wise bits) and Clip → QuantizeLinear → DequantizeLinear on quantized inputs.
 * The bits and weight bytes of every layer are written to metadata_props and returned.
 */
export async function exportOnnxQdq(model: Module, options: QdqExportOptions): Promise<QdqExport> {
  const caller = 'exportOnnxQdq';
  const weightEncoding = options.weightEncoding ?? 'odd';
  if (!WEIGHT_ENCODINGS.includes(weightEncoding)) {
    throw new Error(`${caller}: expected weightEncoding 'odd' | 'offset', got '${weightEncoding}'`);
  }
  // The layer facts come out of the walk; they join metadata_props before encoding.
  const { written, metadata } = await write(model, options, 'qdq', caller, {}, { weightEncoding });
  const layers = written.layers as unknown as LayerExport[];
  if (layers.length === 0) {
    throw new Error(`${caller}: the model has no quantized layer (quantize it with @fracbits/core first)`);
  }
  const weightBytes = layers.reduce((s, l) => s + l.weightBytes, 0);
  const packedBytes = layers.reduce((s, l) => s + l.packedBytes, 0);
  const facts: Record<string, string> = {
    'fracbits.format': 'qdq',
    'fracbits.weight_encoding': weightEncoding,
    'fracbits.bits': JSON.stringify(layers.map((l) => ({ name: l.name, w: l.weightBits, a: l.inputBits }))),
    'fracbits.weight_bytes': JSON.stringify(
      Object.fromEntries(
        layers.map((l) => [l.name, { stored: l.weightBytes, packed: l.packedBytes, storage: l.storage }]),
      ),
    ),
  };
  const allMetadata = { ...metadata, ...facts };
  written.model.metadata_props = Object.entries(allMetadata).map(([key, value]) => ({ key, value }));
  return { bytes: finish(caller, written), layers, weightBytes, packedBytes, metadata: allMetadata };
}
