/**
 * The built-in exporters and importer, as one plugin-api plugin: @fracbits/export's own plugin
 * members — 'onnx' (QDQ mixed-precision ONNX), 'onnx-float', 'packed' (.fbpk for
 * @fracbits/packed's runtimes) and the `.onnx` importer — registered exactly as a third party's.
 */
import { onnxExporter, onnxFloatExporter, onnxImporter, packedExporter } from '@fracbits/export';
import { definePlugin, type Exporter, type FracbitsPlugin, type Importer } from '@fracbits/plugin-api';

export const builtinExportPlugin: FracbitsPlugin = definePlugin({
  specificationVersion: 'v1',
  name: '@fracbits/export',
  description: 'ONNX import; QDQ ONNX, float ONNX and packed low-bit (.fbpk) export',
  exporters: [onnxExporter, onnxFloatExporter, packedExporter] as Exporter[],
  importers: [onnxImporter as Importer],
});
