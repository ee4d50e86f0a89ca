/** Time units of the latency model and budgets written with them ('2ms', '150us', '150µs', '0.3 ms'). */

/** Microseconds per unit. */
const MICROSECONDS: Readonly<Record<string, number>> = {
  s: 1e6,
  ms: 1e3,
  us: 1,
  µs: 1,
  ns: 1e-3,
};

export type LatencyUnit = 'us' | 'ms';

export const LATENCY_UNITS: readonly LatencyUnit[] = ['us', 'ms'];

/** Microseconds in one `unit`; throws for an unknown unit. */
export function microsecondsPer(unit: string, who: string): number {
  const factor = Object.hasOwn(MICROSECONDS, unit) ? MICROSECONDS[unit] : undefined;
  if (factor === undefined) {
    throw new Error(
      `${who}: unknown time unit '${unit}' (expected one of ${Object.keys(MICROSECONDS).join(', ')})`,
    );
  }
  return factor;
}

/**
 * Parses a latency written with a unit into a number in `unit`: '2ms' → 2000 when `unit` is 'us'.
 * A bare number is already in `unit`.
 */
export function parseLatency(text: string, unit: LatencyUnit, who: string): number {
  const match = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zµ]*)\s*$/i.exec(String(text));
  if (!match) {
    throw new Error(
      `${who}: expected a latency such as '2ms', '150us' or a bare number of ${unit}, got '${text}'`,
    );
  }
  const value = Number(match[1]);
  const given = match[2].toLowerCase();
  if (!(value > 0)) throw new Error(`${who}: expected a positive latency, got '${text}'`);
  if (given === '') return value;
  return (value * microsecondsPer(given, who)) / microsecondsPer(unit, who);
}
