/**
 * The built-in cost models, as plugin-api factories (exactly what a third-party plugin would
 * ship), and lookup by name.
 */
import { type CostModel, defineFactory, type Factory } from '@fracbits/plugin-api';
import { type BitOpsOptions, bitopsModel } from './bitops.js';
import { type BitSerialOptions, bitserialModel } from './bitserial.js';
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
];

/** Other names accepted by {@link createCostModel} (and so in budgets such as 'latency=2ms'). */
export const COST_MODEL_ALIASES: Readonly<Record<string, string>> = { latency: 'roofline' };

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
    throw new Error(
      `createCostModel: unknown cost model '${name}' (built-in: ${costModelFactories.map((f) => f.name).join(', ')}; ` +
        `aliases: ${Object.keys(COST_MODEL_ALIASES).join(', ')})`,
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
