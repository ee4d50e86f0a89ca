/** `run(config)`: the whole main job in one call, as the CLI's `search` does it. */
import { resolve } from 'node:path';
import { type FracbitsConfigInput, resolveConfig } from './config.js';
import type { EventSink } from './events.js';
import { type PipelineResult, runPipeline } from './pipeline.js';
import { loadPlugins } from './plugin-loader.js';
import { preflight } from './preflight.js';
import { createRegistry, type PluginRegistry } from './registry.js';
import { defaultRunDir } from './run-dir.js';

export interface RunOptions {
  readonly emit?: EventSink;
  readonly signal?: AbortSignal;
  /** Where relative plugin paths resolve (default: the working directory). */
  readonly baseDir?: string;
  /** A registry to use (default: the built-ins plus the config's plugins). */
  readonly registry?: PluginRegistry;
}

/**
 * Validates `input` (throws ConfigError listing every problem), loads its plugins, and runs the
 * pipeline into `input.out` (default runs/<timestamp>-<model>).
 */
export async function run(input: FracbitsConfigInput, options: RunOptions = {}): Promise<PipelineResult> {
  const config = resolveConfig(input);
  const registry = options.registry ?? createRegistry();
  if (!options.registry) await loadPlugins(registry, config.plugins, options.baseDir ?? process.cwd());
  preflight(config, registry);
  const runDir = resolve(config.out ?? defaultRunDir(config.model));
  return runPipeline({
    config: { ...config, out: runDir },
    registry,
    runDir,
    ...(options.emit ? { emit: options.emit } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
