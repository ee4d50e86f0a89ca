/** `fracbits plugins`: the registered plugins and their members (built-ins and the config's). */
import { resolve } from 'node:path';
import { createRegistry } from '@fracbits/runner';
import { findConfigFile, loadConfigFile } from '@fracbits/runner/node';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { collect } from '../options.js';
import { pluginsOrUsage } from '../search-config.js';

export function registerPlugins(program: Command, io: CliIo): void {
  program
    .command('plugins')
    .description('list plugins and what they provide (cost models, exporters, importers, datasets, ...)')
    .option('--config <file>', 'a config file whose plugins to load too')
    .option('--plugin <spec>', 'plugin package or path to load too, repeatable', collect)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  fracbits plugins\n  fracbits plugins --plugin ./my-npu-plugin.mjs --json\n',
    )
    .action(async (flags: { config?: string; plugin?: string[]; json?: boolean }) => {
      const registry = createRegistry();
      const file = flags.config ?? findConfigFile(process.cwd());
      if (file) {
        const loaded = await loadConfigFile(file);
        await pluginsOrUsage(registry, (loaded.config.plugins as string[] | undefined) ?? [], loaded.baseDir);
      }
      await pluginsOrUsage(
        registry,
        (flags.plugin ?? []).map((p) => (p.startsWith('.') ? resolve(p) : p)),
        process.cwd(),
      );
      const members = registry.list();
      if (flags.json) {
        io.stdout(
          `${JSON.stringify({ plugins: registry.plugins.map((p) => ({ name: p.plugin.name, source: p.source, specificationVersion: p.plugin.specificationVersion })), members })}\n`,
        );
        return;
      }
      for (const { plugin, source } of registry.plugins) {
        io.stdout(
          `${plugin.name} (${source}, spec ${plugin.specificationVersion})${plugin.description ? ` — ${plugin.description}` : ''}\n`,
        );
        for (const m of members.filter((x) => x.plugin === plugin.name)) {
          io.stdout(
            `  ${m.kind.padEnd(11)} ${m.name.padEnd(12)} ${m.description}${m.formats ? ` [${m.formats.join(', ')}]` : ''}\n`,
          );
        }
      }
    });
}
