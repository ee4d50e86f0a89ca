/** The `fracbits` command line: a thin layer over @fracbits/runner. */
import { Command, CommanderError } from 'commander';
import { registerModels } from './commands/models.js';
import { registerTrain } from './commands/train.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, formatError, UsageError } from './errors.js';

export function createProgram(): Command {
  const program = new Command('fracbits')
    .description('mixed-precision and pruned networks under a hardware budget with FracBits, on WebGPU')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError()
    .exitOverride();
  registerTrain(program);
  registerModels(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander already printed its message.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    process.stderr.write(`${formatError(err, debug)}\n`);
    return err instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  }
}
