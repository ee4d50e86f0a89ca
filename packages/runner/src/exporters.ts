/**
 * The built-in ONNX exporter and importer as a plugin-api plugin, written exactly as a third party
 * would: they wrap @fracbits/export's `exportOnnxQdq` and `importOnnx`. When @fracbits/export
 * ships its own plugin object (`exportPlugin`), that one is used instead.
 */
import * as onnx from '@fracbits/export';
import type { Module } from '@fracbits/nn';
import { defineExporter, defineImporter, definePlugin, type FracbitsPlugin } from '@fracbits/plugin-api';

const onnxQdq = defineExporter({
  specificationVersion: 'v1',
  name: 'onnx-qdq',
  description: 'mixed-precision ONNX (opset 21): integer weights + DequantizeLinear, QDQ on quantized inputs',
  formats: ['onnx-qdq'],
  async export({ model, inputShape, name, metadata, options }) {
    const weightEncoding = options?.weightEncoding as 'odd' | 'offset' | undefined;
    const result = await onnx.exportOnnxQdq(model as Module, {
      inputShape: [...inputShape],
      ...(metadata ? { metadata } : {}),
      ...(weightEncoding ? { weightEncoding } : {}),
    });
    return [
      {
        path: `${name}.onnx`,
        data: result.bytes,
        mediaType: 'application/onnx',
        description: `QDQ ONNX, ${result.packedBytes} bytes of weights at their bit-widths`,
      },
    ];
  },
});

const onnxImporter = defineImporter({
  specificationVersion: 'v1',
  name: 'onnx',
  description: 'float ONNX models (Conv, Gemm, BatchNormalization, pools, ...) into @fracbits/nn modules',
  formats: ['onnx'],
  extensions: ['.onnx'],
  async import(data) {
    return onnx.importOnnx(data);
  },
});

const provided = (onnx as Readonly<Record<string, unknown>>).exportPlugin as FracbitsPlugin | undefined;

export const builtinExportPlugin: FracbitsPlugin =
  provided ??
  definePlugin({
    specificationVersion: 'v1',
    name: '@fracbits/export',
    description: 'ONNX import and mixed-precision QDQ export',
    exporters: [onnxQdq],
    importers: [onnxImporter],
  });
