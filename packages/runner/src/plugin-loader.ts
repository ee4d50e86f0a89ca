/**
 * Loading third-party plugins in Node: `plugins: ['my-plugin', './path/to/plugin.js']` in a
 * config. Paths (starting with '.', '/' or a drive letter) resolve against the config file's
 * directory; package names resolve from `node_modules` folders above that directory. The module's
 * default export (or a named `plugin` export) must be a FracbitsPlugin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FracbitsPlugin } from '@fracbits/plugin-api';
import type { PluginRegistry } from './registry.js';

function isPath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || /^[A-Za-z]:[\\/]/.test(spec);
}

/** The entry of an installed package: exports['.'] (import / node / default), else main, else index.js. */
function packageEntry(dir: string): string {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    exports?: unknown;
    main?: string;
  };
  const pick = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if ('.' in record) return pick(record['.']);
      for (const key of ['import', 'node', 'default']) {
        const found = pick(record[key]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return join(dir, pick(pkg.exports) ?? pkg.main ?? 'index.js');
}

function resolvePackage(name: string, baseDir: string): string | null {
  let dir = resolve(baseDir);
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return packageEntry(candidate);
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Imports one plugin module; errors name the spec and what went wrong. */
export async function importPlugin(spec: string, baseDir: string): Promise<FracbitsPlugin> {
  const file = isPath(spec) ? resolve(baseDir, spec) : resolvePackage(spec, baseDir);
  if (!file || !existsSync(file)) {
    throw new Error(
      isPath(spec)
        ? `cannot load plugin "${spec}": no file ${file} (paths are relative to the config file's directory ${baseDir})`
        : `cannot load plugin "${spec}": package not found in node_modules above ${baseDir} (install it, or give a path)`,
    );
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot load plugin "${spec}" (${file}): ${(e as Error).message}`);
  }
  const plugin = (module.default ?? module.plugin) as FracbitsPlugin | undefined;
  if (!plugin || typeof plugin !== 'object') {
    throw new Error(
      `plugin "${spec}" (${file}) has no default export (expected \`export default definePlugin({...})\`)`,
    );
  }
  return plugin;
}

/** Imports and registers every plugin of a config; `baseDir` is the config file's directory. */
export async function loadPlugins(
  registry: PluginRegistry,
  specs: readonly string[],
  baseDir: string,
): Promise<void> {
  for (const spec of specs) registry.register(await importPlugin(spec, baseDir), spec);
}
