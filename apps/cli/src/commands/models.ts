/** `fracbits models`: the model zoo. */
import { listModels } from '@fracbits/nn';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';

export function registerModels(program: Command, io: CliIo): void {
  program
    .command('models')
    .description('list the model zoo')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  fracbits models\n  fracbits models --json\n')
    .action((flags: { json?: boolean }) => {
      const models = listModels();
      if (flags.json) {
        io.stdout(`${JSON.stringify(models)}\n`);
        return;
      }
      const width = Math.max(...models.map((m) => m.name.length));
      for (const m of models) io.stdout(`${m.name.padEnd(width)}  ${m.description}\n`);
    });
}
