/**
 * Checks that need the registry or the file system, run before any work so a bad request fails
 * at once with every problem listed: the model exists, every budget's cost model is registered and
 * accepts its target, every export format has an exporter, the dataset is known, files exist.
 */
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { listModels } from '@fracbits/nn';
import { budgetTarget, DEFAULT_KAPPA_UNITS } from './budget-spec.js';
import { ConfigError, type ConfigIssue, type ResolvedConfig } from './config.js';
import { BUILTIN_DATASETS } from './data.js';
import type { PluginRegistry } from './registry.js';

export function preflight(config: ResolvedConfig, registry: PluginRegistry, source = 'config'): void {
  const issues: ConfigIssue[] = [];
  const zoo = listModels().map((m) => m.name);
  const pluginModels = registry.modelSources().flatMap((s) => s.models().map((m) => m.id));
  if (!zoo.includes(config.model) && !pluginModels.includes(config.model)) {
    if (extname(config.model) === '') {
      issues.push({
        path: 'model',
        expected: `a zoo model (${zoo.join(', ')}), a plugin model or a model file`,
        got: JSON.stringify(config.model),
      });
    } else if (!existsSync(config.model)) {
      issues.push({
        path: 'model',
        expected: 'an existing model file',
        got: `${JSON.stringify(config.model)} (no such file)`,
      });
    } else if (!registry.importerFor(config.model)) {
      issues.push({
        path: 'model',
        expected: 'a file a registered importer reads (.onnx)',
        got: JSON.stringify(config.model),
      });
    }
  }
  config.budgets.forEach((spec, i) => {
    try {
      const unit = spec.unit ?? DEFAULT_KAPPA_UNITS[spec.cost];
      const model = registry.costModel(spec.cost, { ...(spec.options ?? {}), ...(unit ? { unit } : {}) });
      const target = budgetTarget(spec);
      if (target.kind === 'absolute' && target.unit !== '' && target.unit !== model.unit)
        model.parseBudget?.(`${target.value}${target.unit}`);
    } catch (e) {
      issues.push({
        path: `budgets.${i}`,
        expected: 'a registered cost model with a target it understands',
        got: `${JSON.stringify(spec.cost)}=${spec.target} (${(e as Error).message})`,
      });
    }
  });
  config.exports.forEach((format, i) => {
    try {
      registry.exporter(format);
    } catch (e) {
      issues.push({
        path: `exports.${i}`,
        expected: 'a format a registered exporter writes',
        got: `${JSON.stringify(format)} (${(e as Error).message})`,
      });
    }
  });
  if (
    !(BUILTIN_DATASETS as readonly string[]).includes(config.data.name) &&
    !registry.dataset(config.data.name)
  ) {
    issues.push({
      path: 'data.name',
      expected: `a dataset: ${BUILTIN_DATASETS.join(', ')} or a plugin's`,
      got: JSON.stringify(config.data.name),
    });
  }
  if (config.data.dir && !existsSync(config.data.dir)) {
    issues.push({
      path: 'data.dir',
      expected: 'an existing directory',
      got: `${JSON.stringify(config.data.dir)} (no such directory)`,
    });
  }
  if (config.pretrain.checkpoint && !existsSync(config.pretrain.checkpoint)) {
    issues.push({
      path: 'pretrain.checkpoint',
      expected: 'an existing checkpoint file',
      got: `${JSON.stringify(config.pretrain.checkpoint)} (no such file)`,
    });
  }
  if (issues.length) throw new ConfigError(source, issues);
}
