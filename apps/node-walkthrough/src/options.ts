/**
 * The walkthrough's few knobs, from the command line (`--epochs 2`) or the environment
 * (`WALKTHROUGH_EPOCHS=2`); the command line wins. Defaults give a meaningful run in a few minutes
 * on WebGPU; tests shrink everything.
 */
import { parseArgs } from 'node:util';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export interface WalkthroughOptions {
  /** Zoo model: a small CNN for 28×28 grey images. */
  readonly model: 'lenet5' | 'convnet';
  /** Fashion-MNIST directory (default: $FRACBITS_DATA_DIR, then /usr/share/datasets/fashion-mnist). */
  readonly dataDir?: string;
  /** Class-balanced training subset size. */
  readonly trainImages: number;
  /** First N test images (the test slice every accuracy is measured on). */
  readonly testImages: number;
  readonly pretrainEpochs: number;
  /** FracBits epochs: 80 % search, 20 % fine-tune. */
  readonly epochs: number;
  /** Budget: the BitOps of the uniform model at this many bits. */
  readonly budgetBits: number;
  readonly granularity: 'layer' | 'kernel';
  readonly backend: BackendChoice;
  readonly batchSize: number;
  readonly seed: number;
  /** Where the files go. */
  readonly outDir: string;
}

export const DEFAULTS: WalkthroughOptions = {
  model: 'lenet5',
  trainImages: 6000,
  testImages: 2000,
  pretrainEpochs: 4,
  epochs: 5,
  budgetBits: 3,
  granularity: 'kernel',
  backend: 'auto',
  batchSize: 64,
  seed: 0,
  outDir: 'walkthrough-out',
};

interface Field {
  readonly key: keyof WalkthroughOptions;
  readonly flag: string;
  readonly help: string;
  readonly parse: (text: string) => unknown;
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string) => {
    const n = Number(text);
    if (!(Number.isInteger(n) && n >= min && n <= max))
      throw new Error(`expected an integer in [${min}, ${max}], got '${text}'`);
    return n;
  };
}

function oneOf(...values: string[]) {
  return (text: string) => {
    if (!values.includes(text)) throw new Error(`expected one of ${values.join(', ')}, got '${text}'`);
    return text;
  };
}

const FIELDS: readonly Field[] = [
  { key: 'model', flag: 'model', help: 'lenet5 | convnet', parse: oneOf('lenet5', 'convnet') },
  { key: 'dataDir', flag: 'data', help: 'Fashion-MNIST IDX directory', parse: (t) => t },
  { key: 'trainImages', flag: 'train-images', help: 'class-balanced training subset', parse: integer(10) },
  { key: 'testImages', flag: 'test-images', help: 'test slice (first N)', parse: integer(1) },
  { key: 'pretrainEpochs', flag: 'pretrain-epochs', help: 'float pre-training epochs', parse: integer(0) },
  { key: 'epochs', flag: 'epochs', help: 'FracBits epochs (80 % search, 20 % fine-tune)', parse: integer(1) },
  { key: 'budgetBits', flag: 'bits', help: 'BitOps budget = the uniform b-bit model', parse: integer(2, 8) },
  { key: 'granularity', flag: 'granularity', help: 'layer | kernel', parse: oneOf('layer', 'kernel') },
  { key: 'backend', flag: 'backend', help: 'auto | webgpu | cpu', parse: oneOf('auto', 'webgpu', 'cpu') },
  { key: 'batchSize', flag: 'batch-size', help: 'batch size', parse: integer(1) },
  { key: 'seed', flag: 'seed', help: 'seed of initialisation, subset and shuffling', parse: integer(0) },
  { key: 'outDir', flag: 'out', help: 'output directory', parse: (t) => t },
];

/** WALKTHROUGH_TRAIN_IMAGES for --train-images, etc. */
export const envName = (flag: string) => `WALKTHROUGH_${flag.replace(/-/g, '_').toUpperCase()}`;

export const USAGE = `Usage: fracbits-walkthrough [options]   (or set WALKTHROUGH_<OPTION>, e.g. WALKTHROUGH_EPOCHS=2)

${FIELDS.map((f) => `  --${`${f.flag} <value>`.padEnd(24)} ${f.help} (default ${String(DEFAULTS[f.key] ?? '$FRACBITS_DATA_DIR or /usr/share/datasets/fashion-mnist')})`).join('\n')}
  --help                     this text`;

/** Options from argv (without node and the script) and env; throws naming the bad option. */
export function parseOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): WalkthroughOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: Object.fromEntries([
      ...FIELDS.map((f) => [f.flag, { type: 'string' as const }]),
      ['help', { type: 'boolean' as const }],
    ]),
    strict: true,
  }) as { values: Record<string, string | boolean | undefined> };
  if (values.help) return 'help';
  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const f of FIELDS) {
    const fromArgv = values[f.flag] as string | undefined;
    const text = fromArgv ?? env[envName(f.flag)];
    if (text === undefined) continue;
    try {
      out[f.key] = f.parse(text);
    } catch (e) {
      const where = fromArgv !== undefined ? `--${f.flag}` : envName(f.flag);
      throw new Error(`walkthrough: ${where}: ${(e as Error).message}`);
    }
  }
  return out as unknown as WalkthroughOptions;
}
