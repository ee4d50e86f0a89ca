/**
 * Budgets with their penalty weight: `<cost>=<target>[@kappa=<κ>][@unit=<unit>]`, e.g.
 * `bitops=uniform:3@kappa=1@unit=MBitOps`. The unit is the one the cost model reports in, so κ is
 * "per unit" (FRACBITS.md §3 asks for κ and its unit to be explicit). The target part is
 * @fracbits/cost's parseBudget syntax (`uniform:3`, `5.7G`, `1.8MB`, `2ms`).
 */
import { type BudgetTarget, parseBudget } from '@fracbits/cost';

export interface BudgetSpec {
  /** Cost model name (built-in, alias such as 'latency', or a plugin's). */
  readonly cost: string;
  /** Target as written: 'uniform:3', '5.7G', '1.8MB', or a bare number in the cost unit. */
  readonly target: string;
  /** Penalty weight per `unit` (default: --kappa, else 1). */
  readonly kappa?: number;
  /** Unit the cost model reports in and κ is per (default: DEFAULT_KAPPA_UNITS, else the model's). */
  readonly unit?: string;
  /** Options for the cost model's factory (e.g. { profile: 'bitfusion' } for roofline). */
  readonly options?: Readonly<Record<string, unknown>>;
}

/**
 * Default units of the built-in models in which κ = 1 makes the penalty matter on small models
 * (PROTOCOL.md: κ = 1 per MBitOps for lenet5 / convnet). Others: the cost model's own unit.
 */
export const DEFAULT_KAPPA_UNITS: Readonly<Record<string, string>> = { bitops: 'MBitOps', size: 'kB' };

export const BUDGET_SYNTAX =
  "'<cost>=<target>[@kappa=<κ>][@unit=<unit>][@table=<file>]', e.g. 'bitops=uniform:3', 'bitops=5.7G@kappa=1', 'size=1.8MB@unit=kB', 'latency=2ms@table=lenet5-latency.json'";

/** Parses a budget written on the command line or in a config file; throws a clear error. */
export function parseBudgetSpec(text: string): BudgetSpec {
  const [head, ...suffixes] = text.split('@');
  const budget = parseBudget(head); // validates '<cost>=<target>'
  let kappa: number | undefined;
  let unit: string | undefined;
  // A measured latency table (`fracbits profile --out`), for the 'latency' cost model.
  let table: string | undefined;
  for (const suffix of suffixes) {
    const eq = suffix.indexOf('=');
    const key = suffix.slice(0, eq).trim();
    const value = suffix.slice(eq + 1).trim();
    if (eq < 0 || value === '')
      throw new Error(
        `budget '${text}': expected '@kappa=<κ>', '@unit=<unit>' or '@table=<file>', got '@${suffix}'`,
      );
    if (key === 'kappa') {
      kappa = Number(value);
      if (!(Number.isFinite(kappa) && kappa >= 0))
        throw new Error(`budget '${text}': κ must be a number ≥ 0, got '${value}'`);
    } else if (key === 'unit') unit = value;
    else if (key === 'table') table = value;
    else throw new Error(`budget '${text}': unknown suffix '@${key}' (expected @kappa=, @unit= or @table=)`);
  }
  return {
    cost: budget.model,
    target: head.slice(head.indexOf('=') + 1).trim(),
    ...(kappa !== undefined ? { kappa } : {}),
    ...(unit !== undefined ? { unit } : {}),
    ...(table !== undefined ? { options: { table } } : {}),
  };
}

/** The parsed target of a spec (a bare number means the cost model's unit). */
export function budgetTarget(spec: BudgetSpec): BudgetTarget {
  return parseBudget(`${spec.cost}=${spec.target}`).target;
}

/** The spec written back as text (for reports and `--resume` commands). */
export function formatBudgetSpec(spec: BudgetSpec): string {
  const table = typeof spec.options?.table === 'string' ? `@table=${spec.options.table}` : '';
  return `${spec.cost}=${spec.target}${spec.kappa !== undefined ? `@kappa=${spec.kappa}` : ''}${spec.unit ? `@unit=${spec.unit}` : ''}${table}`;
}
