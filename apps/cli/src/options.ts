/** Flag parsers shared by commands: each throws a UsageError that names the flag. */
import { UsageError } from './errors.js';

export function intFlag(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer ≥ ${min}, got "${value}"`);
    return n;
  };
}

export function numberFlag(name: string, min = -Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`${name} must be a number ≥ ${min}, got "${value}"`);
    return n;
  };
}
