/** Where float models come from: named sources (a model zoo) and file importers (ONNX). */
import type { LayerInfo } from './layer.js';
import type { Versioned } from './version.js';

/** A float model ready for quantization. */
export interface LoadedModel<Model = unknown> {
  readonly model: Model;
  /** Input shape of one sample, e.g. `[3, 32, 32]`. */
  readonly inputShape: readonly number[];
  readonly numClasses?: number;
  /** Quantizable layers, when the source already knows them. */
  readonly layers?: LayerInfo[];
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** One model a source offers. */
export interface ModelEntry {
  readonly id: string;
  readonly description?: string;
}

/**
 * A catalogue of models, e.g. a model zoo.
 *
 * @example
 * ```ts
 * const zoo = defineModelSource({
 *   specificationVersion: 'v1', name: 'my-zoo', description: 'tiny CNNs',
 *   models: () => [{ id: 'tiny', description: '2 convs + fc' }],
 *   async load(id, options) { … return { model, inputShape: [1, 28, 28], numClasses: 10 }; },
 * });
 * ```
 */
export interface ModelSource<Model = unknown> extends Versioned {
  readonly description: string;
  models(): ModelEntry[];
  load(id: string, options?: Readonly<Record<string, unknown>>): Promise<LoadedModel<Model>>;
}

/**
 * Reads model files, e.g. ONNX exported from PyTorch.
 *
 * @example
 * ```ts
 * const onnx = defineImporter({
 *   specificationVersion: 'v1', name: 'onnx', description: 'ONNX float models',
 *   formats: ['onnx'], extensions: ['.onnx'],
 *   async import(data) { … return { model, inputShape }; },
 * });
 * ```
 */
export interface Importer<Model = unknown> extends Versioned {
  readonly description: string;
  readonly formats: readonly string[];
  /** File name endings this importer claims, e.g. `['.onnx']`. */
  readonly extensions: readonly string[];
  import(data: Uint8Array, options?: Readonly<Record<string, unknown>>): Promise<LoadedModel<Model>>;
}

/** Identity helper that type-checks a model source literal. */
export function defineModelSource<Model = unknown>(source: ModelSource<Model>): ModelSource<Model> {
  return source;
}

/** Identity helper that type-checks an importer literal. */
export function defineImporter<Model = unknown>(importer: Importer<Model>): Importer<Model> {
  return importer;
}
