/**
 * Units and budget quantities. Each cost model computes in one base unit (BitOps, bits, seconds)
 * and reports in a scaled unit chosen by the user (GBitOps, MB, ms); a unit system lists the
 * spellings it accepts so that '5.7G', '1.8MB' or '2ms' parse to a number in the model's unit.
 */

/** One base unit: its spellings and its size in the model's computation unit. */
export interface BaseUnit {
  /** Accepted spellings; the first is canonical. */
  readonly names: readonly string[];
  /** Size of one such unit in computation units (e.g. one byte is 8 bits). */
  readonly factor: number;
  /** Match case-sensitively (needed where 'B' byte and 'b' would differ). */
  readonly caseSensitive?: boolean;
}

/** The units a cost model understands. */
export interface UnitSystem {
  /** What is measured, for error messages, e.g. 'BitOps' or 'model size'. */
  readonly what: string;
  /** Base units; a bare prefix ('5.7G') applies to the first one. */
  readonly bases: readonly BaseUnit[];
  /** Allowed prefixes and their multipliers. */
  readonly prefixes: Readonly<Record<string, number>>;
}

/** SI prefixes for counts (no sub-unit prefixes: a milli-BitOp is meaningless). */
export const COUNT_PREFIXES: Readonly<Record<string, number>> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };
/** Count prefixes plus binary ones (KiB, MiB, GiB) for sizes. */
export const BYTE_PREFIXES: Readonly<Record<string, number>> = {
  ...COUNT_PREFIXES,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
};
/** Sub-second prefixes for times. */
export const TIME_PREFIXES: Readonly<Record<string, number>> = { m: 1e-3, u: 1e-6, µ: 1e-6, n: 1e-9 };

/** A unit resolved in a system: its size in computation units and its canonical spelling. */
export interface ResolvedUnit {
  readonly factor: number;
  readonly canonical: string;
}

function endsWith(text: string, name: string, caseSensitive: boolean): boolean {
  return caseSensitive ? text.endsWith(name) : text.toLowerCase().endsWith(name.toLowerCase());
}

/** Resolves a unit spelling such as 'GBitOps', 'G', 'MB' or 'ms'; undefined when not understood. */
export function matchUnit(system: UnitSystem, unit: string): ResolvedUnit | undefined {
  if (Object.hasOwn(system.prefixes, unit)) {
    return {
      factor: system.prefixes[unit] * system.bases[0].factor,
      canonical: unit + system.bases[0].names[0],
    };
  }
  for (const base of system.bases) {
    for (const name of base.names) {
      if (!endsWith(unit, name, base.caseSensitive ?? false)) continue;
      const prefix = unit.slice(0, unit.length - name.length);
      if (prefix === '') return { factor: base.factor, canonical: base.names[0] };
      if (Object.hasOwn(system.prefixes, prefix)) {
        return { factor: system.prefixes[prefix] * base.factor, canonical: prefix + base.names[0] };
      }
    }
  }
  return undefined;
}

function unitExamples(system: UnitSystem): string {
  const prefixes = Object.keys(system.prefixes);
  return system.bases
    .flatMap((b) => [b.names[0], `${prefixes[prefixes.length > 2 ? 2 : 0]}${b.names[0]}`])
    .join(', ');
}

/** Like {@link matchUnit} but throws a clear error naming `who` and the accepted units. */
export function resolveUnit(system: UnitSystem, unit: string, who: string): ResolvedUnit {
  const resolved = matchUnit(system, unit);
  if (!resolved) {
    throw new Error(
      `${who}: unknown ${system.what} unit '${unit}' (expected e.g. ${unitExamples(system)}, ` +
        `with prefixes ${Object.keys(system.prefixes).join(' ')})`,
    );
  }
  return resolved;
}

/** A number followed by an optional unit, as written in a budget. */
export interface Quantity {
  readonly value: number;
  /** The unit as written ('' for a bare number). */
  readonly unit: string;
}

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([^\s\d.+-][^\s]*)?$/;

/** Splits '5.7G' into { value: 5.7, unit: 'G' }; the value must be finite and positive. */
export function parseQuantity(text: string, who: string): Quantity {
  const match = QUANTITY.exec(text.trim());
  if (!match)
    throw new Error(`${who}: expected a number with an optional unit such as '5.7G', got '${text}'`);
  const value = Number(match[1]);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${who}: expected a positive budget, got ${match[1]} in '${text}'`);
  }
  return { value, unit: match[2] ?? '' };
}

/**
 * Parses a budget text into a number in `modelUnit` (a spelling `system` understands); a bare
 * number is already in `modelUnit`.
 */
export function parseInUnit(text: string, system: UnitSystem, modelUnit: string, who: string): number {
  const { value, unit } = parseQuantity(text, who);
  if (unit === '') return value;
  return (value * resolveUnit(system, unit, who).factor) / resolveUnit(system, modelUnit, who).factor;
}
