/**
 * @fracbits/export — ONNX in and out: a protobufjs-based ONNX reader/writer (schema/onnx.proto),
 * `importOnnx` into @fracbits/nn modules, float and QDQ (mixed-precision integer) exporters, and a
 * structural checker. Browser-safe; file helpers live in '@fracbits/export/node'.
 */

export {
  exportOnnxFloat,
  exportOnnxQdq,
  type OnnxExportOptions,
  type QdqExport,
  type QdqExportOptions,
} from './export/export.js';
export {
  type EncodedWeights,
  encodeWeights,
  type LayerExport,
  WEIGHT_ENCODINGS,
  type WeightEncoding,
} from './export/qdq.js';
export {
  type ExportFormat,
  type LayerRecord,
  type ModuleWriter,
  type OnnxValue,
  registerOnnxWriter,
  type WriteContext,
} from './export/writer.js';
export { onnxExporter, onnxFloatExporter, onnxImporter } from './exporters.js';
export { Clip, type GraphStep, OnnxGraphModule, type StepOp } from './import/graph-module.js';
export { type ImportedOnnx, type ImportOnnxOptions, importOnnx } from './import/import.js';
export {
  buildPackedSpec,
  exportPacked,
  type PackedExportOptions,
  type PackedSpecExport,
} from './packed/export.js';
export { packedExporter } from './packed/exporter.js';
export type { Order } from './packed/order.js';
export {
  type PackedLayerExport,
  type PackedValue,
  type PackedWriteContext,
  type PackedWriter,
  packedWriterFor,
  registerPackedWriter,
} from './packed/writer.js';
export {
  attr,
  type BuildOptions,
  type Dim,
  GraphBuilder,
  IR_VERSION,
  type NodeOptions,
  OPSET_VERSION,
  valueInfo,
} from './proto/builder.js';
export { assertValidModel, checkModel } from './proto/checker.js';
export { decodeModel, encodeModel } from './proto/codec.js';
export { type ExternalDataSplit, splitExternalData } from './proto/external.js';
export {
  type DecodedTensor,
  type ExternalDataReader,
  makeTensor,
  packInt4,
  type ReadTensorOptions,
  readTensor,
  type TensorData,
  unpackInt4,
} from './proto/tensor-data.js';
export * from './proto/types.js';
