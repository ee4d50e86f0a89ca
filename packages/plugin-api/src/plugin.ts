/** A plugin: one versioned bundle of any number of members of each kind. */
import type { CostModel } from './cost-model.js';
import type { Dataset } from './dataset.js';
import type { Exporter } from './exporter.js';
import type { Importer, ModelSource } from './model-source.js';
import type { Pruner } from './pruner.js';
import type { Quantizer } from './quantizer.js';
import type { Versioned } from './version.js';

/**
 * A member that needs configuration before use (e.g. a roofline cost model needs a device
 * profile). The host calls `create` with the options the user gave for that member.
 */
export interface Factory<T> extends Versioned {
  readonly description: string;
  create(options?: Readonly<Record<string, unknown>>): T;
}

/** A member given ready-made or as a {@link Factory}. */
export type Provided<T> = T | Factory<T>;

/** Whether `member` is a {@link Factory} (it has a `create` function). */
export function isFactory<T>(member: Provided<T>): member is Factory<T> {
  return typeof (member as { create?: unknown }).create === 'function';
}

/** Returns a ready member: `member` itself, or `member.create(options)` for a factory. */
export function instantiate<T>(member: Provided<T>, options?: Readonly<Record<string, unknown>>): T {
  return isFactory(member) ? member.create(options) : member;
}

/**
 * A bundle of plugin members, usually an npm package's default export. Built-in packages ship
 * the same kind of object.
 *
 * @example
 * ```ts
 * export default definePlugin({
 *   specificationVersion: 'v1',
 *   name: 'acme-npu',
 *   costModels: [acmeLatency],
 *   exporters: [acmeBlobExporter],
 * });
 * ```
 */
export interface FracbitsPlugin extends Versioned {
  readonly description?: string;
  readonly costModels?: readonly Provided<CostModel>[];
  readonly quantizers?: readonly Quantizer[];
  readonly pruners?: readonly Pruner[];
  readonly exporters?: readonly Exporter[];
  readonly importers?: readonly Importer[];
  readonly modelSources?: readonly ModelSource[];
  readonly datasets?: readonly Dataset[];
}

/** Identity helper that type-checks a plugin literal. */
export function definePlugin<T extends FracbitsPlugin>(plugin: T): T {
  return plugin;
}

/** Identity helper that type-checks a factory literal. */
export function defineFactory<T>(factory: Factory<T>): Factory<T> {
  return factory;
}
