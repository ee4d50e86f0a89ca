/** Runs the whole `fracbits` program in-process (as `main` does) with stdout and stderr captured. */
import { type CliIo, main } from '../src/index.js';

export async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    tty: null,
  };
  const code = await main(['node', 'fracbits', ...args], io);
  return { code, stdout, stderr };
}
