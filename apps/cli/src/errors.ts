/** Exit codes of the `fracbits` command. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad flags, a bad config or an impossible request: exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One clear paragraph for the terminal; the stack only with --debug. */
export function formatError(err: unknown, debug: boolean): string {
  if (err instanceof Error) {
    const text = `fracbits: ${err.message}`;
    return debug && err.stack ? `${text}\n${err.stack}` : text;
  }
  return `fracbits: ${String(err)}`;
}
