/**
 * Datasets for a run (Node): the built-in directory loaders of @fracbits/nn, or a plugin's
 * Dataset, and the class-balanced seeded training subset (PROTOCOL.md: "a fixed, class-balanced
 * random subset ... record how it is drawn").
 */
import { balancedSubset, createDataset, type ImageDataset, subset } from '@fracbits/nn';
import { loadCifar10, loadFashionMnist, loadMnist } from '@fracbits/nn/node';
import type { DatasetSplit } from '@fracbits/plugin-api';
import type { ResolvedConfig } from './config.js';
import type { TrainData } from './float.js';
import type { PluginRegistry } from './registry.js';

export const BUILTIN_DATASETS = ['fashion-mnist', 'mnist', 'cifar10'] as const;

/** What run.json records about the data. */
export interface DataInfo {
  readonly name: string;
  readonly dir?: string;
  readonly trainSize: number;
  readonly testSize: number;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** The class-balanced subset, when one was drawn. */
  readonly subset?: {
    readonly requested: number;
    readonly perClass: number;
    readonly seed: number;
    readonly method: string;
  };
}

export interface LoadedData extends TrainData {
  readonly info: DataInfo;
}

function fromSplit(
  split: DatasetSplit,
  shape: readonly number[],
  numClasses: number,
  what: string,
): ImageDataset {
  if (shape.length !== 3)
    throw new Error(`dataset ${what}: expected a [C, H, W] input shape, got [${shape.join(', ')}]`);
  const all = Int32Array.from({ length: split.length }, (_, i) => i);
  const batch = split.batch(all);
  return createDataset({
    images: batch.inputs,
    labels: batch.labels,
    shape: [shape[0], shape[1], shape[2]],
    numClasses,
  });
}

async function loadSplits(
  config: ResolvedConfig,
  registry: PluginRegistry,
): Promise<{ train: ImageDataset; test: ImageDataset }> {
  const { name, dir } = config.data;
  const options = dir ? { dir } : {};
  if (name === 'fashion-mnist') return loadFashionMnist(options);
  if (name === 'mnist') return loadMnist(options);
  if (name === 'cifar10') return loadCifar10(options);
  const plugin = registry.dataset(name);
  if (!plugin)
    throw new Error(
      `unknown dataset "${name}"; built-in: ${BUILTIN_DATASETS.join(', ')} (or a plugin's dataset)`,
    );
  const splits = await plugin.load(dir ? { root: dir } : {});
  return {
    train: fromSplit(splits.train, splits.inputShape, splits.numClasses, name),
    test: fromSplit(splits.test, splits.inputShape, splits.numClasses, name),
  };
}

/** Loads the configured dataset and draws the training subset, if any. */
export async function loadData(config: ResolvedConfig, registry: PluginRegistry): Promise<LoadedData> {
  const full = await loadSplits(config, registry);
  let train = full.train;
  let subsetInfo: DataInfo['subset'];
  const requested = config.data.trainSubset;
  if (requested !== 'all' && requested < full.train.length) {
    const perClass = Math.floor(requested / full.train.numClasses);
    if (perClass < 1) {
      throw new Error(
        `data.trainSubset: ${requested} images cannot hold one per class of ${full.train.numClasses} classes`,
      );
    }
    train = subset(full.train, balancedSubset(full.train.labels, perClass, config.data.subsetSeed));
    subsetInfo = {
      requested,
      perClass,
      seed: config.data.subsetSeed,
      method: `@fracbits/nn balancedSubset: per class, a seeded shuffle (Rng(${config.data.subsetSeed})) of that class's indices, first ${perClass} kept, sorted ascending`,
    };
  }
  return {
    train,
    test: full.test,
    info: {
      name: config.data.name,
      ...(config.data.dir ? { dir: config.data.dir } : {}),
      trainSize: train.length,
      testSize: full.test.length,
      inputShape: [...train.shape],
      numClasses: train.numClasses,
      ...(subsetInfo ? { subset: subsetInfo } : {}),
    },
  };
}
