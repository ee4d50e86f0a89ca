/**
 * Where a command writes: stdout for results (and nothing else with --json), stderr for progress
 * and messages. Injectable so tests run `main()` in-process and capture both.
 */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The terminal stream progress bars draw on, or null when stderr is not a TTY. */
  readonly tty: NodeJS.WriteStream | null;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  tty: process.stderr.isTTY ? process.stderr : null,
};
