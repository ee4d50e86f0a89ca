/** Node-only parts of the runner: backend selection through Dawn, config files, plugins, data, run directories, the pipeline. */
export { defaultCacheDir, floatCachePath } from './cache.js';
export {
  CONFIG_FILE_NAMES,
  findConfigFile,
  type LoadedConfigFile,
  loadConfigFile,
  nodeStripsTypes,
} from './config-file.js';
export { BUILTIN_DATASETS, type DataInfo, type LoadedData, loadData } from './data.js';
export { type ModelSourceResult, resolveModelSource } from './model-source.js';
export { type SelectedBackend, selectBackend } from './node-backend.js';
export { type PipelineOptions, type PipelineResult, type RunInfo, runPipeline } from './pipeline.js';
export { importPlugin, loadPlugins } from './plugin-loader.js';
export { preflight } from './preflight.js';
export { type RunOptions, run } from './run.js';
export { defaultRunDir, RUN_FILES, RunDirectory } from './run-dir.js';
export { loadRunModel, type RunModel } from './run-model.js';
export { packageVersions } from './versions.js';
