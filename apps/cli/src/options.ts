/** Flag parsers shared by commands: numbers where they look like numbers (the config schema checks ranges). */
import { UsageError } from './errors.js';

/** '12' → 12; anything else stays a string, so the schema reports it with its path. */
export function numeric(value: string): number | string {
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value;
}

/** '2..8' → [2, 8]. */
export function range(value: string): [number, number] | string {
  const m = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(value);
  return m ? [Number(m[1]), Number(m[2])] : value;
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function intFlag(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`${name} must be an integer ≥ ${min}, got "${value}"`);
    return n;
  };
}

export function numberFlag(name: string, min = -Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min)
      throw new UsageError(`${name} must be a number ≥ ${min}, got "${value}"`);
    return n;
  };
}
