/**
 * Budgets: '<model>=<value>' texts such as 'bitops=uniform:3', 'bitops=5.7G', 'size=1.8MB' or
 * 'latency=2ms', and their resolution to a number in a cost model's unit (FRACBITS.md §3: a
 * budget is usually the cost of the uniform b-bit model, or an absolute number).
 */
import type { BitAssignment, CostModel, LayerInfo } from '@fracbits/plugin-api';
import { BITOPS_UNITS } from './bitops.js';
import { BITSERIAL_UNITS } from './bitserial.js';
import { TIME_UNITS } from './roofline.js';
import { SIZE_UNITS } from './size.js';
import { matchUnit, parseQuantity, type UnitSystem } from './units.js';

/** A budget target before it is resolved against a model and a network. */
export type BudgetTarget =
  /** The cost of the network with every non-pinned layer at W`bits` A`bits`. */
  | { readonly kind: 'uniform'; readonly bits: number }
  /** An absolute cost; `unit` '' means the model's own unit. */
  | { readonly kind: 'absolute'; readonly value: number; readonly unit: string };

export interface Budget {
  /** Cost model name as written (built-in names, aliases such as 'latency', or a plugin's). */
  readonly model: string;
  readonly target: BudgetTarget;
}

const BUILT_IN_UNITS: Readonly<Record<string, UnitSystem>> = {
  bitops: BITOPS_UNITS,
  size: SIZE_UNITS,
  bitserial: BITSERIAL_UNITS,
  roofline: TIME_UNITS,
  latency: TIME_UNITS,
};

const EXAMPLES = "'bitops=uniform:3', 'bitops=5.7G', 'size=1.8MB' or 'latency=2ms'";

/**
 * Parses '<model>=<value>' where value is 'uniform:<bits>' or a positive number with an optional
 * unit. Units of built-in models are checked and spelled canonically ('5.7G' → 'GBitOps');
 * other models' units are kept as written for {@link resolveTarget} to convert.
 */
export function parseBudget(text: string): Budget {
  const who = 'parseBudget';
  if (typeof text !== 'string')
    throw new Error(`${who}: expected a string such as ${EXAMPLES}, got ${typeof text}`);
  const eq = text.indexOf('=');
  const model = text.slice(0, eq).trim();
  const value = text.slice(eq + 1).trim();
  if (eq < 0 || model === '' || value === '') {
    throw new Error(`${who}: expected '<model>=<value>' such as ${EXAMPLES}, got '${text}'`);
  }
  if (value.startsWith('uniform:')) {
    const bitsText = value.slice('uniform:'.length).trim();
    const bits = Number(bitsText);
    if (bitsText === '' || !Number.isFinite(bits) || bits <= 0) {
      throw new Error(
        `${who}: expected a positive number of bits after 'uniform:', got '${bitsText}' in '${text}'`,
      );
    }
    return { model, target: { kind: 'uniform', bits } };
  }
  const quantity = parseQuantity(value, `${who} ('${text}')`);
  const units = Object.hasOwn(BUILT_IN_UNITS, model) ? BUILT_IN_UNITS[model] : undefined;
  if (!units || quantity.unit === '') return { model, target: { kind: 'absolute', ...quantity } };
  const resolved = matchUnit(units, quantity.unit);
  if (!resolved) {
    throw new Error(
      `${who}: '${model}' budgets are ${units.what} (e.g. ${units.bases.map((b) => b.names[0]).join(', ')} with ` +
        `prefixes ${Object.keys(units.prefixes).join(' ')}), got unit '${quantity.unit}' in '${text}'`,
    );
  }
  return { model, target: { kind: 'absolute', value: quantity.value, unit: resolved.canonical } };
}

/** Every layer at W`bits` A`bits` (layer-wise); pinned layers keep their pinned bits in evaluate. */
export function uniformBits(layers: readonly LayerInfo[], bits: number): BitAssignment[] {
  return layers.map(() => ({ w: [bits], a: bits }));
}

/**
 * The target as a number in `model.unit`: the cost of the uniform model, or the absolute value
 * converted with `model.parseBudget`. A plain number is taken to be in `model.unit` already.
 */
export function resolveTarget(
  model: CostModel,
  layers: readonly LayerInfo[],
  target: BudgetTarget | number,
): number {
  if (typeof target === 'number') return target;
  if (target.kind === 'uniform') return model.evaluate(layers, uniformBits(layers, target.bits)).total;
  if (target.kind !== 'absolute') {
    throw new Error(
      `resolveTarget: expected target kind 'uniform' or 'absolute', got '${(target as { kind: unknown }).kind}'`,
    );
  }
  if (target.unit === '' || target.unit === model.unit) return target.value;
  if (!model.parseBudget) {
    throw new Error(
      `resolveTarget: cost model '${model.name}' reports ${model.unit} and cannot convert '${target.value}${target.unit}'; ` +
        `give the budget in ${model.unit}`,
    );
  }
  return model.parseBudget(`${target.value}${target.unit}`);
}
