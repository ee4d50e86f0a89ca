/** `fracbits train`: float training of a zoo model on a dataset directory. */
import { listModels } from '@fracbits/nn';
import { loadFashionMnist } from '@fracbits/nn/node';
import { createZooModel, DEFAULT_SGD, parseBackendChoice, trainFloat } from '@fracbits/runner';
import { selectBackend } from '@fracbits/runner/node';
import { setBackend } from '@fracbits/tensor';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { intFlag, numberFlag } from '../options.js';
import { Progress } from '../progress.js';
import { attachProgress } from '../run-progress.js';

interface TrainFlags {
  model: string;
  data?: string;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  backend: string;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a zoo model in float on Fashion-MNIST (IDX files)')
    .option('--model <name>', 'zoo model', 'lenet5')
    .option('--data <dir>', 'directory with the IDX files (default: $FRACBITS_DATA_DIR or Debian\'s dataset-fashion-mnist)')
    .option('--epochs <n>', 'training epochs', intFlag('--epochs', 0), 8)
    .option('--batch-size <n>', 'batch size', intFlag('--batch-size', 1), 128)
    .option('--lr <x>', 'initial learning rate (cosine decay per iteration)', numberFlag('--lr', 0), DEFAULT_SGD.lr)
    .option('--seed <n>', 'seed of initialisation and shuffling', intFlag('--seed', 0), 0)
    .option('--backend <name>', 'auto | webgpu | cpu', 'cpu')
    .option('--json', 'print one JSON object with the result on stdout and nothing else')
    .addHelpText('after', '\nExamples:\n  fracbits train\n  fracbits train --model convnet --epochs 6 --backend webgpu\n')
    .action(async (flags: TrainFlags) => {
      if (!listModels().some((m) => m.name === flags.model)) {
        throw new UsageError(`unknown model "${flags.model}"; available: ${listModels().map((m) => m.name).join(', ')}`);
      }
      const choice = (() => {
        try {
          return parseBackendChoice(flags.backend);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      })();
      const progress = new Progress({ quiet: Boolean(flags.json) });
      const { backend, notice } = await selectBackend(choice);
      setBackend(backend);
      progress.note(notice);
      const data = loadFashionMnist(flags.data ? { dir: flags.data } : {});
      progress.note(`data: Fashion-MNIST, ${data.train.length} training and ${data.test.length} test images`);
      const model = createZooModel(flags.model, data, flags.seed);
      const result = await trainFloat(
        model,
        data,
        { epochs: flags.epochs, batchSize: flags.batchSize, seed: flags.seed, sgd: { ...DEFAULT_SGD, lr: flags.lr } },
        attachProgress(progress),
      );
      const summary = {
        model: flags.model,
        data: 'fashion-mnist',
        backend: backend.name,
        adapter: backend.description,
        epochs: flags.epochs,
        accuracy: result.testAccuracy,
        loss: result.testLoss,
        secondsPerEpoch: result.epochSeconds,
      };
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        const perEpoch = result.epochSeconds.length ? result.epochSeconds.reduce((a, b) => a + b, 0) / result.epochSeconds.length : 0;
        process.stdout.write(
          `${flags.model} float, ${flags.epochs} epochs on ${backend.name}: test accuracy ${(100 * result.testAccuracy).toFixed(2)} % ` +
            `(loss ${result.testLoss.toFixed(4)}, ${perEpoch.toFixed(1)} s/epoch)\n`,
        );
      }
    });
}
