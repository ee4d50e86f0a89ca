/**
 * Where the float model comes from: a zoo name (`fracbits models`), a plugin model source's id,
 * or a model file claimed by a registered importer (`.onnx` through @fracbits/export).
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { createModel, listModels, type Module } from '@fracbits/nn';
import { sha256 } from './cache.js';
import type { PluginRegistry } from './registry.js';

export interface ModelSourceResult {
  /** Builds a fresh float model (seeded), e.g. once for the run and once to describe layers. */
  readonly build: () => Promise<Module>;
  readonly inputShape: readonly number[];
  /** 'zoo', 'file' or the plugin model source's name. */
  readonly kind: string;
  /** Short name for run directories and exports. */
  readonly name: string;
  /** sha256 of a model file. */
  readonly fileHash?: string;
}

export interface ModelRequest {
  readonly model: string;
  readonly seed: number;
  /** The dataset's sample shape and classes (zoo models are built for them). */
  readonly inputShape?: readonly number[];
  readonly numClasses?: number;
}

function isFile(model: string): boolean {
  return extname(model) !== '' && !listModels().some((m) => m.name === model);
}

export async function resolveModelSource(
  request: ModelRequest,
  registry: PluginRegistry,
): Promise<ModelSourceResult> {
  const { model, seed } = request;
  if (listModels().some((m) => m.name === model)) {
    const info = listModels().find((m) => m.name === model)!;
    const inputShape = request.inputShape ?? info.inputSize;
    const numClasses = request.numClasses ?? info.numClasses;
    return {
      build: async () =>
        createModel(model, { numClasses, inputSize: [inputShape[0], inputShape[1], inputShape[2]], seed }),
      inputShape,
      kind: 'zoo',
      name: model,
    };
  }
  if (isFile(model)) {
    const importer = registry.importerFor(model);
    if (!importer)
      throw new Error(
        `no importer for "${model}" (registered importers read: ${
          registry
            .list()
            .filter((m) => m.kind === 'importer')
            .map((m) => m.name)
            .join(', ') || 'nothing'
        })`,
      );
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(resolve(model)));
    } catch (e) {
      throw new Error(
        `cannot read model file ${model}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    const probe = await importer.import(bytes);
    return {
      build: async () => (await importer.import(bytes)).model as Module,
      inputShape: probe.inputShape,
      kind: 'file',
      name: model,
      fileHash: sha256(bytes),
    };
  }
  for (const source of registry.modelSources()) {
    if (source.models().some((m) => m.id === model)) {
      const probe = await source.load(model, { seed });
      return {
        build: async () => (await source.load(model, { seed })).model as Module,
        inputShape: probe.inputShape,
        kind: source.name,
        name: model,
      };
    }
  }
  throw new Error(
    `unknown model "${model}": not a zoo model (${listModels()
      .map((m) => m.name)
      .join(', ')}), a plugin model, or a model file`,
  );
}
