/**
 * @fracbits/plugin-api — the versioned plugin interfaces (specification 'v1'). Types and tiny
 * helpers only; no dependencies. Built-in packages implement these exactly as a third party would.
 */
export type { CostEvaluation, CostModel } from './cost-model.js';
export { defineCostModel } from './cost-model.js';
export type { Batch, Dataset, DatasetSplit, DatasetSplits } from './dataset.js';
export { defineDataset } from './dataset.js';
export type { ExportedFile, Exporter, ExportInput } from './exporter.js';
export { defineExporter } from './exporter.js';
export type { BitAssignment, Granularity, LayerInfo, PinnedBits } from './layer.js';
export type { Importer, LoadedModel, ModelEntry, ModelSource } from './model-source.js';
export { defineImporter, defineModelSource } from './model-source.js';
export type { Factory, FracbitsPlugin, Provided } from './plugin.js';
export { defineFactory, definePlugin, instantiate, isFactory } from './plugin.js';
export type { PruneInput, PruneResult, Pruner } from './pruner.js';
export { definePruner } from './pruner.js';
export type { QuantizedModel, QuantizeMode, QuantizeOptions, Quantizer } from './quantizer.js';
export { defineQuantizer } from './quantizer.js';
export type { SpecificationVersion, Versioned } from './version.js';
export { checkSpecificationVersion, SPECIFICATION_VERSION } from './version.js';
