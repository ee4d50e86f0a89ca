/** `fracbits search`: the main job — FracBits (or uniform QAT) under a budget, end to end. */
import { resolve } from 'node:path';
import { formatSummary, RunInterrupted } from '@fracbits/runner';
import { defaultRunDir, runPipeline } from '@fracbits/runner/node';
import type { Command } from 'commander';
import { EXIT_INTERRUPTED } from '../errors.js';
import type { CliIo } from '../io.js';
import { collect } from '../options.js';
import { Progress } from '../progress.js';
import { attachProgress } from '../run-progress.js';
import { prepareSearch, type SearchFlags } from '../search-config.js';

const EXAMPLES = `
Budgets: <cost>=<target>[@kappa=<κ>][@unit=<unit>], repeatable (the first is the one discretisation
matches). Targets: uniform:<bits>, an absolute value (5.7G, 1.8MB, 2ms), or a bare number in <unit>.
κ is per <unit>; defaults: --kappa (1), unit MBitOps for bitops, kB for size, else the model's own.

Examples:
  fracbits search                                   # lenet5, Fashion-MNIST, bitops=uniform:3, short schedule
  fracbits search --budget bitops=uniform:2 --granularity kernel --epochs 10 --pretrain-epochs 10 --train-subset all
  fracbits search --budget bitops=uniform:3@kappa=1@unit=MBitOps --budget size=40kB@kappa=0.1
  fracbits search --method uniform --bits 3         # the uniform-precision QAT baseline
  fracbits search --model ./my-cnn.onnx --data ~/fmnist --backend webgpu --json
  fracbits search --config fracbits.config.mjs --seed 1
  fracbits search --resume runs/20250101-120000-lenet5
`;

export function registerSearch(program: Command, io: CliIo): void {
  program
    .command('search')
    .description(
      'search per-layer bit-widths under a budget with FracBits (pre-train → search → discretise → fine-tune → export → report)',
    )
    .option(
      '--config <file>',
      'config file (.json, .mjs, .js; .ts where Node strips types); flags override it',
    )
    .option('--model <name|file>', 'zoo model (fracbits models) or an .onnx file (default lenet5)')
    .option(
      '--data <dir>',
      'dataset directory (default $FRACBITS_DATA_DIR, then /usr/share/datasets/fashion-mnist)',
    )
    .option('--dataset <name>', 'fashion-mnist | mnist | cifar10 | a plugin dataset (default fashion-mnist)')
    .option('--budget <spec>', 'budget, repeatable (default bitops=uniform:3)', collect)
    .option('--kappa <κ>', 'penalty weight for budgets without @kappa= (default 1, per the budget unit)')
    .option('--method <name>', 'fracbits | uniform (the uniform QAT baseline; default fracbits)')
    .option('--bits <b>', "uniform baseline bits (default: the budget's uniform:b)")
    .option('--init-bits <b>', "λ start at b + 0.5 (default: the budget's uniform bits or its equivalent)")
    .option('--granularity <g>', 'layer | kernel (default layer)')
    .option('--epochs <n>', 'QAT epochs, search + fine-tune (default 5)')
    .option('--search-fraction <f>', 'fraction of the QAT epochs spent searching (default 0.8)')
    .option('--pretrain-epochs <n>', 'float pre-training epochs, cached (default 4; 0: none)')
    .option('--pretrain-lr <x>', 'float pre-training learning rate (default 0.05)')
    .option('--float-checkpoint <file>', 'start from this float checkpoint instead of pre-training')
    .option('--bits-range <lo..hi>', 'bit-width range (default 1..8)')
    .option(
      '--activation-bits-range <lo..hi>',
      'input-activation bit range when it differs (lo ≥ 1; with --prune default: --bits-range as given)',
    )
    .option('--lr <x>', 'QAT learning rate, cosine decay per iteration (default 0.01)')
    .option('--batch-size <n>', 'batch size (default 128)')
    .option('--train-subset <n|all>', 'class-balanced seeded training subset (default 15000)')
    .option('--subset-seed <n>', 'seed of the subset draw (default 0)')
    .option('--seed <n>', 'seed of initialisation and shuffling (default 0)')
    .option('--backend <name>', 'auto | webgpu | cpu (default auto)')
    .option('--out <dir>', 'run directory (default runs/<timestamp>-<model>)')
    .option('--cache-dir <dir>', 'float checkpoint cache (default $FRACBITS_CACHE_DIR or ~/.cache/fracbits)')
    .option('--plugin <spec>', 'plugin package or path, repeatable', collect)
    .option(
      '--export <format>',
      "export format, repeatable: onnx (QDQ), onnx-float, packed, a plugin's (default onnx and packed)",
      collect,
    )
    .option(
      '--no-epoch-eval',
      'skip the test-set evaluation after every QAT epoch (faster; fewer chart points)',
    )
    .option('--sat-rescale', 'SAT rescale of the last linear layer (FRACBITS.md §2 option)')
    .option(
      '--alpha-init <a|conv,linear>',
      'PACT clip α at the start of QAT (default 8,10 as FRACBITS.md §2; smaller suits small BN-free models)',
    )
    .option('--max-steps <n>', 'cap on steps per epoch (smoke runs)')
    .option(
      '--prune',
      'channel pruning through 0 bits (kernel-wise, bits 0..max; 0-bit channels removed before export)',
    )
    .option('--resume <run dir>', 'continue an interrupted run from its last checkpoint')
    .option('--json', 'print one JSON object with the result on stdout and nothing else')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: SearchFlags) => {
      const { config, registry, runDir: resumeDir } = await prepareSearch(flags);
      const runDir = resumeDir ?? resolve(config.out ?? defaultRunDir(config.model));
      const progress = new Progress(io, Boolean(flags.json));
      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        if (interrupts > 1) process.exit(EXIT_INTERRUPTED);
        progress.note('\nstopping at the next step (Ctrl-C again to quit at once)…');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      progress.note(`run directory: ${runDir}`);
      try {
        const { summary, report } = await runPipeline({
          config: { ...config, out: runDir },
          registry,
          runDir,
          emit: attachProgress(progress),
          signal: controller.signal,
          resume: Boolean(resumeDir),
          command: process.argv.slice(2),
        });
        if (flags.json) io.stdout(`${JSON.stringify(summary)}\n`);
        else io.stdout(`\n${formatSummary(report, summary.files.report)}\n`);
      } catch (e) {
        if (e instanceof RunInterrupted) {
          io.stderr(
            `fracbits: interrupted; the last finished epoch's checkpoint is in ${runDir}/checkpoints.\nResume with: fracbits search --resume ${runDir}\n`,
          );
          throw new Interrupted();
        }
        throw e;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}

/** Signals main() to exit with EXIT_INTERRUPTED without printing another message. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}
