/**
 * `fracbits search` flags → a validated config: the config file (--config, or fracbits.config.*
 * in the working directory) with the flags on top. Problems are listed by config path and the
 * flag that sets it, before any work starts.
 */

import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  ConfigError,
  createRegistry,
  mergeConfig,
  type PluginRegistry,
  type ResolvedConfig,
  resolveConfig,
} from '@fracbits/runner';
import { findConfigFile, loadConfigFile, loadPlugins, preflight, RUN_FILES } from '@fracbits/runner/node';
import { UsageError } from './errors.js';
import { numeric, range } from './options.js';

export interface SearchFlags {
  config?: string;
  model?: string;
  data?: string;
  dataset?: string;
  budget?: string[];
  kappa?: string;
  method?: string;
  bits?: string;
  initBits?: string;
  granularity?: string;
  epochs?: string;
  pretrainEpochs?: string;
  pretrainLr?: string;
  floatCheckpoint?: string;
  searchFraction?: string;
  bitsRange?: string;
  activationBitsRange?: string;
  lr?: string;
  batchSize?: string;
  trainSubset?: string;
  subsetSeed?: string;
  seed?: string;
  backend?: string;
  out?: string;
  cacheDir?: string;
  plugin?: string[];
  export?: string[];
  epochEval?: boolean;
  satRescale?: boolean;
  alphaInit?: string;
  maxSteps?: string;
  resume?: string;
  json?: boolean;
  prune?: boolean;
}

/** Config path → the flag that sets it (for error messages). */
const FLAG_OF: Readonly<Record<string, string>> = {
  model: '--model',
  'data.dir': '--data',
  'data.name': '--dataset',
  'data.trainSubset': '--train-subset',
  'data.subsetSeed': '--subset-seed',
  budgets: '--budget',
  kappa: '--kappa',
  method: '--method',
  bits: '--bits',
  initBits: '--init-bits',
  granularity: '--granularity',
  epochs: '--epochs',
  'pretrain.epochs': '--pretrain-epochs',
  'pretrain.lr': '--pretrain-lr',
  'pretrain.checkpoint': '--float-checkpoint',
  searchFraction: '--search-fraction',
  bitsRange: '--bits-range',
  activationBitsRange: '--activation-bits-range',
  lr: '--lr',
  batchSize: '--batch-size',
  seed: '--seed',
  backend: '--backend',
  out: '--out',
  cacheDir: '--cache-dir',
  plugins: '--plugin',
  exports: '--export',
  evalEveryEpoch: '--no-epoch-eval',
  maxStepsPerEpoch: '--max-steps',
  alphaInit: '--alpha-init',
  prune: '--prune',
};

function withFlags(error: ConfigError): ConfigError {
  return new ConfigError(
    error.source,
    error.issues.map((i) => {
      const key = Object.keys(FLAG_OF).find((k) => i.path === k || i.path.startsWith(`${k}.`));
      return key ? { ...i, path: `${i.path} (${FLAG_OF[key]})` } : i;
    }),
  );
}

/** `--alpha-init 2` (convs and linear layers) or `--alpha-init 2,4` (convs, linear layers). */
function alphaInitFlag(value: string): { conv: number | string; linear: number | string } {
  const parts = value.split(',');
  if (parts.length > 2 || parts.some((p) => p.trim() === ''))
    throw new UsageError(`--alpha-init: expected <alpha> or <conv>,<linear>, got '${value}'`);
  const [conv, linear = conv] = parts.map((p) => numeric(p.trim()));
  return { conv, linear };
}

/** The config overrides the flags give (only flags the user set). */
export function flagOverrides(f: SearchFlags): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (f.data !== undefined) data.dir = f.data;
  if (f.dataset !== undefined) data.name = f.dataset;
  if (f.trainSubset !== undefined)
    data.trainSubset = f.trainSubset === 'all' ? 'all' : numeric(f.trainSubset);
  if (f.subsetSeed !== undefined) data.subsetSeed = numeric(f.subsetSeed);
  const pretrain: Record<string, unknown> = {};
  if (f.pretrainEpochs !== undefined) pretrain.epochs = numeric(f.pretrainEpochs);
  if (f.pretrainLr !== undefined) pretrain.lr = numeric(f.pretrainLr);
  if (f.floatCheckpoint !== undefined) pretrain.checkpoint = f.floatCheckpoint;
  const o: Record<string, unknown> = {
    model: f.model,
    method: f.method,
    budgets: f.budget,
    kappa: f.kappa !== undefined ? numeric(f.kappa) : undefined,
    bits: f.bits !== undefined ? numeric(f.bits) : undefined,
    initBits: f.initBits !== undefined ? numeric(f.initBits) : undefined,
    granularity: f.granularity,
    epochs: f.epochs !== undefined ? numeric(f.epochs) : undefined,
    searchFraction: f.searchFraction !== undefined ? numeric(f.searchFraction) : undefined,
    bitsRange: f.bitsRange !== undefined ? range(f.bitsRange) : undefined,
    activationBitsRange: f.activationBitsRange !== undefined ? range(f.activationBitsRange) : undefined,
    lr: f.lr !== undefined ? numeric(f.lr) : undefined,
    batchSize: f.batchSize !== undefined ? numeric(f.batchSize) : undefined,
    seed: f.seed !== undefined ? numeric(f.seed) : undefined,
    backend: f.backend,
    out: f.out,
    cacheDir: f.cacheDir,
    plugins: f.plugin,
    exports: f.export,
    evalEveryEpoch: f.epochEval === false ? false : undefined,
    satRescale: f.satRescale ? true : undefined,
    alphaInit: f.alphaInit !== undefined ? alphaInitFlag(f.alphaInit) : undefined,
    maxStepsPerEpoch: f.maxSteps !== undefined ? numeric(f.maxSteps) : undefined,
    prune: f.prune ? true : undefined,
  };
  if (Object.keys(data).length) o.data = data;
  if (Object.keys(pretrain).length) o.pretrain = pretrain;
  return o;
}

function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec);
}

/** Plugin problems are configuration problems: exit code 2. */
export async function pluginsOrUsage(
  registry: PluginRegistry,
  specs: readonly string[],
  baseDir: string,
): Promise<void> {
  try {
    await loadPlugins(registry, specs, baseDir);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export interface PreparedSearch {
  readonly config: ResolvedConfig;
  readonly registry: PluginRegistry;
  readonly runDir?: string;
}

/** Loads, merges and validates; registers plugins; checks names and files. Throws ConfigError. */
export async function prepareSearch(flags: SearchFlags, cwd = process.cwd()): Promise<PreparedSearch> {
  const registry = createRegistry();
  if (flags.resume) {
    const dir = resolve(cwd, flags.resume);
    const given = Object.entries(flagOverrides(flags))
      .filter(([, v]) => v !== undefined)
      .map(([k]) => FLAG_OF[k] ?? k);
    if (flags.config) given.push('--config');
    if (given.length)
      throw new UsageError(`--resume continues a run with its saved config; drop ${given.join(', ')}`);
    if (!existsSync(join(dir, RUN_FILES.config)))
      throw new UsageError(`--resume ${flags.resume}: not a run directory (no ${RUN_FILES.config})`);
    const { readFileSync } = await import('node:fs');
    const config = resolveConfig(
      JSON.parse(readFileSync(join(dir, RUN_FILES.config), 'utf8')),
      join(dir, RUN_FILES.config),
    );
    await pluginsOrUsage(registry, config.plugins, dir);
    return { config, registry, runDir: dir };
  }
  const file = flags.config ?? findConfigFile(cwd);
  const loaded = file ? await loadConfigFile(resolve(cwd, file)) : undefined;
  const source = loaded ? `${loaded.path} + flags` : 'flags';
  let config: ResolvedConfig;
  try {
    config = resolveConfig(mergeConfig(loaded?.config ?? {}, flagOverrides(flags)), source);
  } catch (e) {
    throw e instanceof ConfigError ? withFlags(e) : e;
  }
  // Plugin paths resolve against the config file (flags: the working directory); stored absolute
  // so that --resume finds them from anywhere.
  const fromFile = new Set((loaded?.config.plugins as string[] | undefined) ?? []);
  const plugins = config.plugins.map((p) =>
    isPathSpec(p) ? resolve(fromFile.has(p) && loaded ? loaded.baseDir : cwd, p) : p,
  );
  config = { ...config, plugins };
  await pluginsOrUsage(registry, plugins, loaded?.baseDir ?? cwd);
  try {
    preflight(config, registry, source);
  } catch (e) {
    throw e instanceof ConfigError ? withFlags(e) : e;
  }
  return { config, registry };
}
