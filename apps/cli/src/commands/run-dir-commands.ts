/** Commands on a finished run directory: `eval`, `export` and `report`. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataLoader, evaluate } from '@fracbits/nn';
import {
  createRegistry,
  formatSummary,
  parseBackendChoice,
  type ReportData,
  renderReport,
} from '@fracbits/runner';
import { loadPlugins, loadRunModel, RUN_FILES, RunDirectory, selectBackend } from '@fracbits/runner/node';
import { setBackend } from '@fracbits/tensor';
import type { Command } from 'commander';
import { asUsage, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { collect } from '../options.js';
import { addEvalPackedOptions, type EvalPackedFlags, evalPacked, formatEvalPacked } from './eval-packed.js';

type EvalFlags = Omit<EvalPackedFlags, 'packed' | 'backend'> & {
  packed?: string;
  float?: boolean;
  backend: EvalPackedFlags['backend'];
};

function runDirOf(path: string): string {
  const dir = resolve(path);
  if (!existsSync(join(dir, RUN_FILES.config)))
    throw new UsageError(`${path} is not a run directory (no ${RUN_FILES.config})`);
  return dir;
}

async function registryFor(dir: string) {
  const registry = createRegistry();
  const config = JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8')) as { plugins?: string[] };
  await loadPlugins(registry, config.plugins ?? [], dir);
  return registry;
}

export function registerRunDirCommands(program: Command, io: CliIo): void {
  addEvalPackedOptions(
    program
      .command('eval')
      .description("evaluate a run's final integer model (or its float model) on the test set")
      .argument('[run dir]', 'a run directory made by fracbits search (or use --packed <file>)'),
  )
    .option('--float', 'evaluate the float (pre-trained) model instead')
    .option('--backend <name>', 'auto | webgpu | cpu', 'cpu')
    .option('--json', 'print { runDir, model, which, accuracy, loss, count }')
    .addHelpText(
      'after',
      '\nExamples:\n  fracbits eval runs/20250101-120000-lenet5\n  fracbits eval runs/20250101-120000-lenet5 --float --json\n  fracbits eval --packed runs/20250101-120000-lenet5/exports/lenet5-fracbits.fbpk --backend webgpu\n',
    )
    .action(async (path: string | undefined, flags: EvalFlags) => {
      if (flags.packed) {
        if (path) throw new UsageError('give either a run directory or --packed <file>, not both');
        io.stdout(
          formatEvalPacked(await evalPacked({ ...flags, packed: flags.packed }, io), Boolean(flags.json)),
        );
        return;
      }
      if (!path) throw new UsageError('eval needs a run directory (or --packed <file>)');
      const dir = runDirOf(path);
      const { backend } = await selectBackend(asUsage(() => parseBackendChoice(flags.backend)));
      setBackend(backend);
      const loaded = await loadRunModel(dir, await registryFor(dir), { float: Boolean(flags.float) });
      const r = await evaluate(
        loaded.model,
        new DataLoader(loaded.data.test, { batchSize: 256, shuffle: false }),
      );
      const out = {
        runDir: path,
        model: loaded.config.model,
        which: flags.float ? 'float' : 'final',
        accuracy: r.accuracy,
        loss: r.loss,
        count: r.count,
      };
      io.stdout(
        flags.json
          ? `${JSON.stringify(out)}\n`
          : `${out.model} (${out.which}): test accuracy ${(100 * r.accuracy).toFixed(2)} % on ${r.count} images, loss ${r.loss.toFixed(4)}\n`,
      );
    });

  program
    .command('export')
    .description("export a run's final model with a registered exporter (default: QDQ ONNX)")
    .argument('<run dir>', 'a run directory made by fracbits search')
    .option(
      '--format <format>',
      "export format, repeatable: onnx (QDQ), onnx-float, packed, a plugin's (default onnx)",
      collect,
    )
    .option('--out <dir>', 'output directory (default <run dir>/exports)')
    .option('--json', 'print { files: [...] }')
    .addHelpText(
      'after',
      '\nExamples:\n  fracbits export runs/20250101-120000-lenet5\n  fracbits export runs/20250101-120000-lenet5 --format packed --out dist/\n',
    )
    .action(async (path: string, flags: { format?: string[]; out?: string; json?: boolean }) => {
      const dir = runDirOf(path);
      const registry = await registryFor(dir);
      const formats = flags.format ?? ['onnx'];
      const exporters = formats.map((f) => asUsage(() => registry.exporter(f)));
      const loaded = await loadRunModel(dir, registry);
      const target = new RunDirectory(flags.out ? resolve(flags.out) : join(dir, RUN_FILES.exports));
      const files: string[] = [];
      for (const [i, exporter] of exporters.entries()) {
        const bits = loaded.infos!.map((info) => {
          const entry = loaded.bits!.layers.find((l) => l.name === info.name.replace(/#\d+$/, ''))!;
          return { w: Array.isArray(entry.w) ? entry.w : [entry.w], a: entry.a };
        });
        const produced = await exporter.export({
          model: loaded.model,
          layers: loaded.infos!,
          bits,
          format: formats[i],
          inputShape: loaded.inputShape,
          name: `${loaded.config.model.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, '')}-${loaded.config.method}`,
        });
        for (const f of produced) files.push(await target.writeFile(f.path, f.data));
      }
      io.stdout(flags.json ? `${JSON.stringify({ files })}\n` : `${files.join('\n')}\n`);
    });

  program
    .command('report')
    .description("re-render a run's HTML report and print its summary table")
    .argument('<run dir>', 'a run directory made by fracbits search')
    .option('--json', "print the run's result object")
    .addHelpText('after', '\nExamples:\n  fracbits report runs/20250101-120000-lenet5\n')
    .action(async (path: string, flags: { json?: boolean }) => {
      const dir = new RunDirectory(runDirOf(path));
      if (!dir.has(RUN_FILES.reportData))
        throw new UsageError(
          `${path}: the run has not finished (no ${RUN_FILES.reportData}); resume it with fracbits search --resume ${path}`,
        );
      const data = dir.readJson<ReportData>(RUN_FILES.reportData);
      const html = await dir.writeFile(RUN_FILES.report, renderReport(data));
      io.stdout(flags.json ? `${JSON.stringify(data.summary)}\n` : `${formatSummary(data, html)}\n`);
    });
}
