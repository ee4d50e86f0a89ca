/**
 * The run configuration: one zod schema for config files (JSON or `defineConfig({...})` modules)
 * and CLI flags alike. Validation lists EVERY problem (path, expected, got) before any work starts.
 * Defaults follow docs PROTOCOL.md except where a short schedule is the point (epochs).
 */
import { z } from 'zod';
import { BACKEND_CHOICES } from './backend-choice.js';
import { BUDGET_SYNTAX, type BudgetSpec, parseBudgetSpec } from './budget-spec.js';

const SEP = '\u0000';

const budgetString = z.string().superRefine((text, ctx) => {
  try {
    parseBudgetSpec(text);
  } catch (e) {
    ctx.addIssue({
      code: 'custom',
      // 'expected' and 'why', split by issuesOf.
      message: `a budget ${BUDGET_SYNTAX}${SEP}${(e as Error).message}`,
      input: text,
    });
  }
});

const budgetObject = z.strictObject({
  cost: z.string().min(1),
  target: z.union([z.string().min(1), z.number().positive()]).transform(String),
  kappa: z.number().nonnegative().optional(),
  unit: z.string().min(1).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

const budget = z.union([budgetString, budgetObject]);

const bitsRange = z
  .tuple([z.number().int().min(0).max(8), z.number().int().min(1).max(8)])
  .refine(([lo, hi]) => lo <= hi, { message: 'expected [bmin, bmax] with bmin ≤ bmax' });

/** Input activations cannot reach 0 bits (a 0-bit input zeroes a whole layer's input). */
const activationBitsRange = z
  .tuple([z.number().int().min(1).max(8), z.number().int().min(1).max(8)])
  .refine(([lo, hi]) => lo <= hi, { message: 'expected [bmin, bmax] with 1 ≤ bmin ≤ bmax' });

const positiveInt = z.number().int().positive();

/**
 * The built-in schedule of `fracbits search` (and `pnpm start`): short enough for ≤ 10 minutes on
 * a 2-core machine (README). PROTOCOL.md runs set epochs, pretrain.epochs and trainSubset: 'all'.
 */
export const DEFAULT_TRAIN_SUBSET = 15000;
export const DEFAULT_EPOCHS = 5;
export const DEFAULT_PRETRAIN_EPOCHS = 4;

export const configSchema = z.strictObject({
  /** Zoo model name (`fracbits models`) or path to an .onnx file. */
  model: z.string().min(1).default('lenet5'),
  data: z
    .strictObject({
      /** Dataset: 'fashion-mnist' (IDX), 'mnist' (IDX), 'cifar10' (binary), or a plugin dataset's name. */
      name: z.string().min(1).default('fashion-mnist'),
      /** Directory of the files (default: $FRACBITS_DATA_DIR, then the dataset's default place). */
      dir: z.string().min(1).optional(),
      /**
       * Class-balanced random training subset of this many images (floor(N / classes) per class),
       * or 'all'. The default keeps the default run short (see the README's timing).
       */
      trainSubset: z.union([positiveInt, z.literal('all')]).default(DEFAULT_TRAIN_SUBSET),
      /** Seed of the subset draw (recorded in run.json). */
      subsetSeed: z.number().int().nonnegative().default(0),
    })
    .prefault({}),
  /** 'fracbits' (the search) or 'uniform' (the uniform-precision QAT baseline at `bits`). */
  method: z.enum(['fracbits', 'uniform']).default('fracbits'),
  /** Budgets; the first is the one discretisation matches. */
  budgets: z.array(budget).min(1).default(['bitops=uniform:3']),
  /** κ for budgets that do not give their own. */
  kappa: z.number().nonnegative().default(1),
  /** Uniform bits of the baseline (default: the first budget's uniform:b, else 3). */
  bits: z.number().int().min(1).max(8).optional(),
  /** λ start at initBits + 0.5 (default: the first budget's uniform bits, or its equivalent). */
  initBits: z.number().min(0).max(8).optional(),
  granularity: z.enum(['layer', 'kernel']).default('layer'),
  bitsRange: bitsRange.default([1, 8]),
  /**
   * Range of the input-activation bits when it differs from bitsRange (weights keep bitsRange).
   * With `prune` it defaults to the range as given, [max(1, bitsRange[0]), bitsRange[1]], while the
   * weights search [0, bitsRange[1]], so pruned and unpruned runs with one bitsRange differ only
   * in the weights' 0 bits.
   */
  activationBitsRange: activationBitsRange.optional(),
  /** QAT epochs (search + fine-tune). */
  epochs: positiveInt.default(DEFAULT_EPOCHS),
  /** Fraction of the QAT epochs spent searching. */
  searchFraction: z.number().gt(0).lte(1).default(0.8),
  /** QAT learning rate (cosine decay per iteration, restarted at the start of QAT). */
  lr: z.number().positive().default(0.01),
  pretrain: z
    .strictObject({
      /** Float pre-training epochs (0: use the model as loaded, or `checkpoint`). */
      epochs: z.number().int().nonnegative().default(DEFAULT_PRETRAIN_EPOCHS),
      lr: z.number().positive().default(0.05),
      /** A float checkpoint to start from instead of pre-training. */
      checkpoint: z.string().min(1).optional(),
    })
    .prefault({}),
  batchSize: positiveInt.default(128),
  optimizer: z
    .strictObject({
      momentum: z.number().min(0).lt(1).default(0.9),
      nesterov: z.boolean().default(true),
      weightDecay: z.number().nonnegative().default(5e-4),
    })
    .prefault({}),
  /** SAT rescale of the last linear layer (FRACBITS.md §2 option). */
  satRescale: z.boolean().default(false),
  /**
   * PACT clip α at the start of QAT, per layer kind (FRACBITS.md §2: conv 8, linear 10). On small
   * models without BatchNorm the float activations sit far below these (convnet: 99th percentile
   * 1.6), so at 1–2 bits nearly every input rounds to 0 until α has shrunk; a smaller start is an
   * option beyond the spec.
   */
  alphaInit: z
    .strictObject({
      conv: z.number().positive().default(8),
      linear: z.number().positive().default(10),
    })
    .prefault({}),
  /** Evaluate on the test set after every QAT epoch (accuracy chart; costs one pass per epoch). */
  evalEveryEpoch: z.boolean().default(true),
  seed: z.number().int().nonnegative().default(0),
  backend: z.enum(BACKEND_CHOICES).default('auto'),
  /** Run directory (default runs/<timestamp>-<model>). */
  out: z.string().min(1).optional(),
  /** Float checkpoint cache (default $FRACBITS_CACHE_DIR, else ~/.cache/fracbits). */
  cacheDir: z.string().min(1).optional(),
  /** Plugins by package name or path (relative to the config file). */
  plugins: z.array(z.string().min(1)).default([]),
  /** Export formats (any registered exporter's): 'onnx' (QDQ), 'onnx-float', 'packed' (.fbpk), ... */
  exports: z.array(z.string().min(1)).default(['onnx', 'packed']),
  /**
   * Channel pruning through 0 bits (FRACBITS.md §5, @fracbits/prune): implies kernel-wise bits and
   * a weight range [0, bitsRange[1]]; 0-bit channels are removed physically before the export.
   */
  prune: z.boolean().default(false),
  /** Cap on steps per epoch (smoke runs and tests). */
  maxStepsPerEpoch: positiveInt.optional(),
  /** Read the loss back every this many steps (progress display). */
  readLossEvery: z.number().int().nonnegative().default(10),
});

/** A config as written (every field optional). */
export type FracbitsConfigInput = z.input<typeof configSchema>;

/** A validated config with defaults filled in and budgets in object form. */
export type ResolvedConfig = Omit<z.output<typeof configSchema>, 'budgets'> & {
  readonly budgets: BudgetSpec[];
};

/** Typed identity for `fracbits.config.{ts,js,mjs}`: `export default defineConfig({ ... })`. */
export function defineConfig(config: FracbitsConfigInput): FracbitsConfigInput {
  return config;
}

/** One validation problem. */
export interface ConfigIssue {
  /** Dotted path, e.g. 'pretrain.epochs' or 'budgets.0'; '(root)' for the whole config. */
  readonly path: string;
  readonly expected: string;
  readonly got: string;
}

/** An invalid config: every problem, listed. Exit code 2 in the CLI. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `invalid configuration (${source}), ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  - ${i.path}: expected ${i.expected}, got ${i.got}`).join('\n'),
    );
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'tuple' ? 'a [bmin, bmax] pair' : `a ${issue.expected}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `${issue.origin === 'array' ? 'at least' : issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}${issue.origin === 'array' ? ' entries' : ''}`;
    case 'too_big':
      return `${issue.origin === 'array' ? 'at most' : issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}${issue.origin === 'array' ? ' entries' : ''}`;
    case 'unrecognized_keys':
      return `no key ${issue.keys.map((k) => `"${k}"`).join(', ')} (unknown)`;
    case 'invalid_union':
      return 'a budget string or { cost, target, kappa?, unit?, options? }';
    default:
      return issue.message.replace(/^Invalid input: expected /, '');
  }
}

function issuesOf(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map(String).join('.') : '(root)';
    const got =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => `"${k}"`).join(', ')
        : issue.code === 'custom'
          ? `${show(issue.input)}${issue.message.includes(SEP) ? ` (${issue.message.split(SEP)[1]})` : ''}`
          : show(issue.input);
    return {
      path,
      expected: issue.code === 'custom' ? issue.message.split(SEP)[0] : expectedOf(issue),
      got,
    };
  });
}

function normaliseBudget(b: string | z.output<typeof budgetObject>): BudgetSpec {
  if (typeof b !== 'string') return b;
  return parseBudgetSpec(b);
}

/** Validates a config (file contents merged with flags); throws ConfigError listing every problem. */
export function resolveConfig(input: unknown, source = 'config'): ResolvedConfig {
  const parsed = configSchema.safeParse(input ?? {}, { reportInput: true });
  if (!parsed.success) throw new ConfigError(source, issuesOf(parsed.error));
  const config = parsed.data;
  const budgets = config.budgets.map(normaliseBudget);
  const issues: ConfigIssue[] = [];
  if (config.method === 'uniform' && config.bits === undefined && !budgets[0].target.startsWith('uniform:')) {
    issues.push({
      path: 'bits',
      expected: "the baseline's bits (or a first budget 'uniform:b')",
      got: 'nothing',
    });
  }
  if (config.prune && config.method === 'uniform') {
    issues.push({
      path: 'prune',
      expected: "false with method 'uniform' (pruning is part of the FracBits search)",
      got: 'true',
    });
  }
  if (issues.length) throw new ConfigError(source, issues);
  // Pruning is kernel-wise with 0 bits reachable (FRACBITS.md §5).
  const [lo, hi] = config.bitsRange;
  const pruning = config.prune
    ? {
        granularity: 'kernel' as const,
        bitsRange: [0, hi] as [number, number],
        activationBitsRange: config.activationBitsRange ?? ([Math.max(1, lo), hi] as [number, number]),
      }
    : {};
  return { ...config, ...pruning, budgets };
}

/**
 * Merges flag overrides into a file config: flags win; nested objects (data, pretrain,
 * optimizer) merge key by key.
 */
export function mergeConfig(
  file: Readonly<Record<string, unknown>>,
  flags: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...file };
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const base = out[key];
    const isPlain = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = isPlain(base) && isPlain(value) ? { ...(base as object), ...(value as object) } : value;
  }
  return out;
}
