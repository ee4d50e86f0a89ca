/**
 * The built-in cost models, as plugin-api factories (exactly what a third-party plugin would
 * ship), and lookup by name.
 */
import { type CostModel, defineFactory, type Factory } from '@fracbits/plugin-api';
import { type BitOpsOptions, bitopsModel } from './bitops.js';
import { type BitSerialOptions, bitserialModel } from './bitserial.js';
import { type LatencyTableOptions, latencyTableModel } from './models/latency-table.js';
import { type RooflineOptions, rooflineModel } from './roofline.js';
import { type SizeOptions, sizeModel } from './size.js';

type Options = Readonly<Record<string, unknown>> | undefined;

/** Built-in cost model factories. */
export const costModelFactories: readonly Factory<CostModel>[] = [
  defineFactory({
    specificationVersion: 'v1',
    name: 'bitops',
    description: 'BitOps Σ MACs·bw·ba, in GBitOps (option unit)',
    create: (options: Options) => bitopsModel(options as BitOpsOptions),
  }),
  defineFactory({
    specificationVersion: 'v1',
    name: 'size',
    description: 'weight size Σ params·bw + 32-bit biases, in MB (option unit)',
    create: (options: Options) => sizeModel(options as SizeOptions),
  }),
  defineFactory({
    specificationVersion: 'v1',
    name: 'bitserial',
    description: 'BitFusion-style brick ops Σ MACs·⌈bw/p⌉·⌈ba/p⌉, in GBrickOps (options brick, unit)',
    create: (options: Options) => bitserialModel(options as BitSerialOptions),
  }),
  defineFactory({
    specificationVersion: 'v1',
    name: 'roofline',
    description: 'roofline latency on a device profile, in ms (options profile, batch, unit)',
    create: (options: Options) => rooflineModel(options as unknown as RooflineOptions),
  }),
  defineFactory({
    specificationVersion: 'v1',
    name: 'latency',
    description:
      'measured layer latency from a profile table (option table, from fracbits profile; batch, unit), in ms; without a table, the roofline model (options profile, batch, unit)',
    // One name for "latency" budgets: measured when a table is given, else the roofline estimate
    // (what 'latency' meant before tables existed, so older configs keep working).
    create: (options: Options) =>
      options?.table !== undefined
        ? latencyTableModel(options as unknown as LatencyTableOptions)
        : rooflineModel(options as unknown as RooflineOptions),
  }),
];

/**
 * Other names accepted by {@link createCostModel}. ('latency' was an alias of 'roofline'; it is now
 * its own factory, which falls back to the roofline model when no table is given.)
 */
export const COST_MODEL_ALIASES: Readonly<Record<string, string>> = {};

function canonicalName(name: string): string {
  return Object.hasOwn(COST_MODEL_ALIASES, name) ? COST_MODEL_ALIASES[name] : name;
}

/** The built-in factory for a name or alias, or undefined. */
export function findCostModel(name: string): Factory<CostModel> | undefined {
  const canonical = canonicalName(name);
  return costModelFactories.find((f) => f.name === canonical);
}

/** Creates a built-in cost model by name or alias, e.g. createCostModel('roofline', { profile: 'mobile-npu' }). */
export function createCostModel(name: string, options?: Readonly<Record<string, unknown>>): CostModel {
  const factory = findCostModel(name);
  if (!factory) {
    const aliases = Object.keys(COST_MODEL_ALIASES);
    throw new Error(
      `createCostModel: unknown cost model '${name}' (built-in: ${costModelFactories.map((f) => f.name).join(', ')}` +
        `${aliases.length > 0 ? `; aliases: ${aliases.join(', ')}` : ''})`,
    );
  }
  return factory.create(options);
}

export interface CostModelListing {
  readonly name: string;
  readonly description: string;
  readonly aliases: readonly string[];
}

/** The built-in cost models with their aliases. */
export function listCostModels(): CostModelListing[] {
  return costModelFactories.map((f) => ({
    name: f.name,
    description: f.description,
    aliases: Object.keys(COST_MODEL_ALIASES).filter((a) => COST_MODEL_ALIASES[a] === f.name),
  }));
}
