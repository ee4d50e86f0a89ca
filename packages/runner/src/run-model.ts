/**
 * A finished run's model rebuilt from its run directory (config.json, bits.json and
 * model.safetensors, or float.safetensors): for `fracbits eval` and `fracbits export`.
 */
import { layerInfos, quantizeModel, setIntegerBits } from '@fracbits/core';
import type { Module } from '@fracbits/nn';
import { loadCheckpoint } from '@fracbits/nn/node';
import type { LayerInfo } from '@fracbits/plugin-api';
import { removePrunedChannels } from '@fracbits/prune';
import { type BitsFile, parseBitsFile } from './bits-file.js';
import { type ResolvedConfig, resolveConfig } from './config.js';
import { type LoadedData, loadData } from './data.js';
import { resolveModelSource } from './model-source.js';
import type { PluginRegistry } from './registry.js';
import { RUN_FILES, RunDirectory } from './run-dir.js';

export interface RunModel {
  readonly config: ResolvedConfig;
  readonly model: Module;
  readonly inputShape: number[];
  readonly data: LoadedData;
  /** Quantized runs only. */
  readonly infos?: LayerInfo[];
  readonly bits?: BitsFile;
}

/** Reads the run's config (validated again) and rebuilds its final (or float) model. */
export async function loadRunModel(
  runDir: string,
  registry: PluginRegistry,
  options: { float?: boolean } = {},
): Promise<RunModel> {
  const dir = new RunDirectory(runDir);
  const need = options.float ? RUN_FILES.float : RUN_FILES.model;
  if (!dir.has(RUN_FILES.config) || !dir.has(need)) {
    throw new Error(
      `${runDir} is not a finished run directory (no ${dir.has(RUN_FILES.config) ? need : RUN_FILES.config})`,
    );
  }
  const config = resolveConfig(dir.readJson(RUN_FILES.config), dir.path(RUN_FILES.config));
  const data = await loadData(config, registry);
  const source = await resolveModelSource(
    {
      model: config.model,
      seed: config.seed,
      inputShape: data.train.shape,
      numClasses: data.train.numClasses,
    },
    registry,
  );
  const inputShape = [...source.inputShape];
  const model = await source.build();
  if (options.float) {
    await loadCheckpoint(dir.path(RUN_FILES.float), { model });
    return { config, model, inputShape, data };
  }
  const bits = parseBitsFile(dir.readJson(RUN_FILES.bits), dir.path(RUN_FILES.bits));
  quantizeModel(model, {
    targetBits: config.bitsRange[1],
    mode: 'fixed',
    granularity: config.granularity,
    bitsRange: config.bitsRange,
    satRescale: config.satRescale,
    inputShape,
  });
  // A pruned run's model has fewer channels: remove the same ones before loading its weights.
  if (config.prune) {
    const pruned = dir.readJson<Record<string, number[]>>(RUN_FILES.pruned);
    const top = config.bitsRange[1];
    // removePrunedChannels removes 0-bit channels only: mark them first (the weights load after).
    setIntegerBits(
      model,
      layerInfos(model, inputShape).map((info) => {
        const w = new Array<number>(info.pinned?.w !== undefined ? 1 : info.outChannels).fill(
          info.pinned?.w ?? top,
        );
        for (const c of pruned[info.name] ?? []) w[c] = 0;
        return { name: info.name, w, a: info.pinned?.a ?? top };
      }),
    );
    await removePrunedChannels(model, pruned, { inputShape });
  }
  await loadCheckpoint(dir.path(RUN_FILES.model), { model });
  const learnable = bits.layers.filter((l) => !(l.pinned?.w !== undefined && l.pinned?.a !== undefined));
  setIntegerBits(
    model,
    learnable.map((l) => ({ name: l.name, w: Array.isArray(l.w) ? l.w : [l.w], a: l.a })),
  );
  return { config, model, inputShape, data, infos: layerInfos(model, inputShape), bits };
}
