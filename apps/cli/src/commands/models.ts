/** `fracbits models`: the model zoo. */
import { listModels } from '@fracbits/nn';
import type { Command } from 'commander';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list the model zoo')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => {
      const models = listModels();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(models)}\n`);
        return;
      }
      const width = Math.max(...models.map((m) => m.name.length));
      for (const m of models) process.stdout.write(`${m.name.padEnd(width)}  ${m.description}\n`);
    });
}
