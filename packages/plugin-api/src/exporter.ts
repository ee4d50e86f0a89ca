/** The exporter interface: turns a finished run into files (ONNX, packed low-bit, ...). */
import type { BitAssignment, LayerInfo } from './layer.js';
import type { Versioned } from './version.js';

/** What an exporter gets: the final integer-bit model and its description. */
export interface ExportInput<Model = unknown> {
  /** The quantized (and possibly pruned) model. */
  readonly model: Model;
  readonly layers: readonly LayerInfo[];
  /** Integer bit-widths, aligned with `layers`. */
  readonly bits: readonly BitAssignment[];
  /** One of the exporter's `formats`. */
  readonly format: string;
  /** Input shape of one sample, e.g. `[1, 28, 28]`. */
  readonly inputShape: readonly number[];
  /** Base name for the files, e.g. `'lenet5-w3a3'`. */
  readonly name: string;
  /** Free-form run facts to embed (accuracy, costs, config). */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Exporter-specific options. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** One produced file; the host decides where `path` (relative, '/'-separated) is written. */
export interface ExportedFile {
  readonly path: string;
  readonly data: Uint8Array | string;
  /** e.g. `'application/onnx'`, `'application/json'`. */
  readonly mediaType?: string;
  readonly description?: string;
}

/**
 * @example
 * ```ts
 * const json = defineExporter({
 *   specificationVersion: 'v1', name: 'bits-json', description: 'bit-widths as JSON', formats: ['json'],
 *   async export({ name, layers, bits }) {
 *     const table = layers.map((l, i) => ({ layer: l.name, ...bits[i] }));
 *     return [{ path: `${name}.bits.json`, data: JSON.stringify(table), mediaType: 'application/json' }];
 *   },
 * });
 * ```
 */
export interface Exporter<Model = unknown> extends Versioned {
  readonly description: string;
  /** Format identifiers this exporter writes, e.g. `['onnx-qdq', 'qonnx']`. */
  readonly formats: readonly string[];
  export(run: ExportInput<Model>): Promise<ExportedFile[]>;
}

/** Identity helper that type-checks an exporter literal. */
export function defineExporter<Model = unknown>(exporter: Exporter<Model>): Exporter<Model> {
  return exporter;
}
