/**
 * The plugin registry: built-in plugins (cost models from @fracbits/cost, ONNX exporters) and any
 * third-party FracbitsPlugin, each checked against the plugin specification version when it is
 * registered. Lookups by name give clear errors listing what is available.
 */
import { readFileSync } from 'node:fs';
import { COST_MODEL_ALIASES, costPlugin } from '@fracbits/cost';
import {
  type CostModel,
  checkSpecificationVersion,
  type Dataset,
  type Exporter,
  type FracbitsPlugin,
  type Importer,
  instantiate,
  type ModelSource,
  type Provided,
} from '@fracbits/plugin-api';
import { builtinExportPlugin } from './exporters.js';

export interface RegisteredPlugin {
  readonly plugin: FracbitsPlugin;
  /** 'built-in', a package name or a file path. */
  readonly source: string;
}

export interface MemberListing {
  readonly kind: 'costModel' | 'exporter' | 'importer' | 'modelSource' | 'dataset' | 'quantizer' | 'pruner';
  readonly name: string;
  readonly description: string;
  readonly plugin: string;
  /** Exporters: their formats. */
  readonly formats?: readonly string[];
}

const nameOf = (member: { name: string }) => member.name;

export class PluginRegistry {
  private readonly entries: RegisteredPlugin[] = [];

  get plugins(): readonly RegisteredPlugin[] {
    return this.entries;
  }

  /** Adds a plugin after checking its specification version (and every member's). */
  register(plugin: FracbitsPlugin, source = 'built-in'): void {
    try {
      checkSpecificationVersion(plugin);
    } catch (e) {
      throw new Error(
        `plugin ${source}: ${(e as Error).message.replace(/^checkSpecificationVersion: /, '')}`,
      );
    }
    const existing = this.entries.find((p) => p.plugin.name === plugin.name);
    if (existing)
      throw new Error(
        `plugin ${source}: a plugin named "${plugin.name}" is already registered (from ${existing.source})`,
      );
    this.entries.push({ plugin, source });
  }

  private members<T extends { name: string }>(
    pick: (p: FracbitsPlugin) => readonly T[] | undefined,
  ): [T, RegisteredPlugin][] {
    return this.entries.flatMap((entry) =>
      (pick(entry.plugin) ?? []).map((m) => [m, entry] as [T, RegisteredPlugin]),
    );
  }

  /** A cost model by name (built-in aliases such as 'latency' included), created with `options`. */
  costModel(name: string, options?: Readonly<Record<string, unknown>>): CostModel {
    const all = this.members<Provided<CostModel>>((p) => p.costModels);
    const canonical = Object.hasOwn(COST_MODEL_ALIASES, name) ? COST_MODEL_ALIASES[name] : name;
    const found = all.find(([m]) => m.name === name) ?? all.find(([m]) => m.name === canonical);
    if (!found) {
      throw new Error(
        `unknown cost model "${name}"; registered: ${all.map(([m]) => m.name).join(', ')}${Object.keys(COST_MODEL_ALIASES).length ? ` (aliases: ${Object.keys(COST_MODEL_ALIASES).join(', ')})` : ''}`,
      );
    }
    const model = instantiate(found[0], withTableFile(options));
    return checkSpecificationVersion(model);
  }

  /** The exporter that writes `format`. */
  exporter(format: string): Exporter {
    const all = this.members<Exporter>((p) => p.exporters);
    const found = all.find(([e]) => e.formats.includes(format));
    if (!found) {
      throw new Error(
        `no exporter for format "${format}"; available formats: ${all.flatMap(([e]) => e.formats).join(', ') || 'none'}`,
      );
    }
    return found[0];
  }

  /** The importer claiming a file name's extension, if any. */
  importerFor(file: string): Importer | undefined {
    const lower = file.toLowerCase();
    return this.members<Importer>((p) => p.importers).find(([i]) =>
      i.extensions.some((ext) => lower.endsWith(ext.toLowerCase())),
    )?.[0];
  }

  dataset(name: string): Dataset | undefined {
    return this.members<Dataset>((p) => p.datasets).find(([d]) => d.name === name)?.[0];
  }

  modelSources(): ModelSource[] {
    return this.members<ModelSource>((p) => p.modelSources).map(([m]) => m);
  }

  /** Every member of every plugin, for `fracbits plugins`. */
  list(): MemberListing[] {
    const out: MemberListing[] = [];
    for (const { plugin } of this.entries) {
      const add = (
        kind: MemberListing['kind'],
        members: readonly { name: string; description?: string }[] | undefined,
        extra?: (m: never) => object,
      ) => {
        for (const m of members ?? [])
          out.push({
            kind,
            name: nameOf(m),
            description: m.description ?? '',
            plugin: plugin.name,
            ...(extra ? extra(m as never) : {}),
          });
      };
      add('costModel', plugin.costModels);
      add('exporter', plugin.exporters, (e: Exporter) => ({ formats: e.formats }));
      add('importer', plugin.importers);
      add('modelSource', plugin.modelSources);
      add('dataset', plugin.datasets);
      add('quantizer', plugin.quantizers);
      add('pruner', plugin.pruners);
    }
    return out;
  }
}

/** A registry holding the built-in plugins. */
export function createRegistry(): PluginRegistry {
  const registry = new PluginRegistry();
  registry.register(costPlugin);
  registry.register(builtinExportPlugin);
  return registry;
}

/** A `table` option given as a file path (`@table=<file>`) is read as the JSON table it names. */
function withTableFile(
  options?: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> | undefined {
  const table = options?.table;
  if (typeof table !== 'string') return options;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(table, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the latency table ${table}: ${(e as Error).message}`);
  }
  return { ...options, table: parsed };
}
