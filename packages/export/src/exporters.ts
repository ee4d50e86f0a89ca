/**
 * The package's plugins (specification v1): exporters for the formats 'onnx' (QDQ, the integer
 * mixed-precision model) and 'onnx-float', and an importer for ONNX float models.
 */
import type { Module } from '@fracbits/nn';
import {
  type BitAssignment,
  defineExporter,
  defineImporter,
  type ExportedFile,
  type Exporter,
  type ExportInput,
  type Importer,
  type LayerInfo,
} from '@fracbits/plugin-api';
import { exportOnnxFloat, exportOnnxQdq } from './export/export.js';
import type { LayerExport, WeightEncoding } from './export/qdq.js';
import type { OnnxGraphModule } from './import/graph-module.js';
import { importOnnx } from './import/import.js';
import type { ExternalDataReader } from './proto/tensor-data.js';

export function checkFormat(exporter: string, run: ExportInput<Module>, format: string): void {
  if (run.format !== format) {
    throw new Error(`${exporter} exporter: expected format '${format}', got '${run.format}'`);
  }
}

function sameBits(a: readonly number[], b: readonly number[]): boolean {
  const full = (v: readonly number[], n: number) => (v.length === 1 ? new Array<number>(n).fill(v[0]) : v);
  const n = Math.max(a.length, b.length);
  const [x, y] = [full(a, n), full(b, n)];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Checks that the bits the host reports (`layers`/`bits`) are the ones in the model: exporting a
 * model whose bits drifted from the reported result would ship numbers that do not describe it.
 */
export function checkBits(
  layers: readonly LayerInfo[],
  bits: readonly BitAssignment[],
  exported: readonly Pick<LayerExport, 'name' | 'weightBits' | 'inputBits'>[],
  exporter = 'onnx',
): void {
  const byName = new Map(exported.map((l) => [l.name, l]));
  layers.forEach((info, i) => {
    const name = info.name.replace(/#\d+$/, '');
    const layer = byName.get(name);
    const b = bits[i];
    if (!layer || !b) return;
    const inputOk = layer.inputBits === null || layer.inputBits === b.a;
    if (!sameBits(layer.weightBits, b.w) || !inputOk) {
      throw new Error(
        `${exporter} exporter: layer "${name}" has w=[${layer.weightBits.join(', ')}] a=${layer.inputBits ?? 'float'} in the model, but the run reports w=[${b.w.join(', ')}] a=${b.a}`,
      );
    }
  });
}

/** 'onnx': the integer mixed-precision model as QDQ ONNX, plus a JSON table of weight bytes. */
export const onnxExporter: Exporter<Module> = defineExporter<Module>({
  specificationVersion: 'v1',
  name: 'onnx',
  description:
    'Mixed-precision QDQ ONNX (opset 21): INT4/INT8/INT16 weights with DequantizeLinear, PACT as Clip + QuantizeLinear/DequantizeLinear',
  formats: ['onnx'],
  async export(run): Promise<ExportedFile[]> {
    checkFormat('onnx', run, 'onnx');
    const result = await exportOnnxQdq(run.model, {
      inputShape: run.inputShape,
      metadata: { ...run.metadata, 'fracbits.name': run.name },
      weightEncoding: run.options?.weightEncoding as WeightEncoding | undefined,
    });
    checkBits(run.layers, run.bits, result.layers);
    const table = { weightBytes: result.weightBytes, packedBytes: result.packedBytes, layers: result.layers };
    return [
      {
        path: `${run.name}.onnx`,
        data: result.bytes,
        mediaType: 'application/onnx',
        description: `QDQ ONNX model, ${result.weightBytes} bytes of integer weights (${result.packedBytes} at the exact bit-widths)`,
      },
      {
        path: `${run.name}.onnx.json`,
        data: `${JSON.stringify(table, null, 2)}\n`,
        mediaType: 'application/json',
        description: 'bits and weight bytes per layer of the QDQ ONNX model',
      },
    ];
  },
});

/** 'onnx-float': the float network (quantized layers as their float weights) as ONNX. */
export const onnxFloatExporter: Exporter<Module> = defineExporter<Module>({
  specificationVersion: 'v1',
  name: 'onnx-float',
  description: 'Float ONNX (opset 21) of the network, quantized layers written with their float weights',
  formats: ['onnx-float'],
  async export(run): Promise<ExportedFile[]> {
    checkFormat('onnx-float', run, 'onnx-float');
    const bytes = await exportOnnxFloat(run.model, {
      inputShape: run.inputShape,
      metadata: { ...run.metadata, 'fracbits.name': run.name },
    });
    return [
      {
        path: `${run.name}.float.onnx`,
        data: bytes,
        mediaType: 'application/onnx',
        description: 'float ONNX model',
      },
    ];
  },
});

/**
 * Imports ONNX float models. Option `externalData`: a function reading external data files by
 * location (the Node entry's importer reads them from `baseDir`).
 */
export const onnxImporter: Importer<OnnxGraphModule> = defineImporter<OnnxGraphModule>({
  specificationVersion: 'v1',
  name: 'onnx',
  description:
    'ONNX float models (Conv, Gemm, BatchNormalization, pooling, residual Add, ...) as @fracbits/nn modules',
  formats: ['onnx'],
  extensions: ['.onnx'],
  async import(data, options) {
    return importOnnx(data, { externalData: options?.externalData as ExternalDataReader | undefined });
  },
});
