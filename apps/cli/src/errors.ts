/** Exit codes of the `fracbits` command. */
import { ConfigError } from '@fracbits/runner';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Stopped by Ctrl-C (128 + SIGINT), after the last checkpoint was kept. */
export const EXIT_INTERRUPTED = 130;

/** Bad flags, a bad config or an impossible request: exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError || err instanceof ConfigError ? EXIT_USAGE : EXIT_FAILURE;
}

/** One clear paragraph for the terminal; the stack only with --debug. */
export function formatError(err: unknown, debug: boolean): string {
  if (err instanceof Error) {
    const text = `fracbits: ${err.message}`;
    return debug && err.stack ? `${text}\n${err.stack}` : text;
  }
  return `fracbits: ${String(err)}`;
}

/** Runs `fn`, turning any error into a UsageError (for parsing user input). */
export function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
