/** The `fracbits` command line: a thin layer over @fracbits/runner. */
import { Command, CommanderError } from 'commander';
import { registerCost } from './commands/cost.js';
import { registerModels } from './commands/models.js';
import { registerPlugins } from './commands/plugins.js';
import { registerProfile } from './commands/profile.js';
import { registerRunDirCommands } from './commands/run-dir-commands.js';
import { Interrupted, registerSearch } from './commands/search.js';
import { registerTrain } from './commands/train.js';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, exitCodeOf, formatError } from './errors.js';
import { type CliIo, processIo } from './io.js';

export type { CliIo } from './io.js';

export function createProgram(io: CliIo = processIo): Command {
  const program = new Command('fracbits')
    .description(
      'mixed-precision networks under a hardware budget with FracBits, trained on WebGPU or the CPU',
    )
    .option('--debug', 'print stack traces on errors')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 success, 2 bad usage or config, 1 failure, 130 interrupted (Ctrl-C; resume with --resume).

Examples:
  fracbits search                          # the main job on built-in defaults
  fracbits cost --model resnet18 --input 224 --bits uniform:4
  fracbits search --help                   # every search flag
`,
    );
  registerSearch(program, io);
  registerTrain(program, io);
  registerRunDirCommands(program, io);
  registerCost(program, io);
  registerModels(program, io);
  registerPlugins(program, io);
  registerProfile(program, io);
  for (const c of program.commands)
    c.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }).showHelpAfterError();
  return program;
}

/** Runs the CLI (argv as process.argv: node, script, args...) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander already printed its message.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (err instanceof Interrupted) return EXIT_INTERRUPTED;
    io.stderr(`${formatError(err, debug)}\n`);
    return exitCodeOf(err);
  }
}
