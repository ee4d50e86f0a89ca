/**
 * Config files (Node): `fracbits.config.json`, or a module (`.mjs` / `.js`, and `.ts` where Node
 * can import TypeScript itself) whose default export is the config (`defineConfig({...})`).
 * No TypeScript loader is bundled: `.ts` configs need a Node that strips types natively
 * (23.6+, or 22.6+ with --experimental-strip-types); elsewhere the error says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './config.js';

export const CONFIG_FILE_NAMES = [
  'fracbits.config.mjs',
  'fracbits.config.js',
  'fracbits.config.json',
  'fracbits.config.ts',
];

export interface LoadedConfigFile {
  readonly path: string;
  /** Plugins and relative paths in the config resolve against this directory. */
  readonly baseDir: string;
  readonly config: Record<string, unknown>;
}

/** Whether this Node can import .ts files without a loader. */
export function nodeStripsTypes(): boolean {
  const features = process.features as { typescript?: unknown };
  return Boolean(features.typescript);
}

function fail(path: string, expected: string, got: string): never {
  throw new ConfigError(path, [{ path: '(file)', expected, got }]);
}

export async function loadConfigFile(file: string): Promise<LoadedConfigFile> {
  const path = resolve(file);
  if (!existsSync(path)) fail(path, 'an existing config file', 'no such file');
  const ext = extname(path);
  let value: unknown;
  if (ext === '.json') {
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      fail(path, 'valid JSON', (e as Error).message);
    }
  } else if (ext === '.js' || ext === '.mjs' || ext === '.ts' || ext === '.mts') {
    if ((ext === '.ts' || ext === '.mts') && !nodeStripsTypes()) {
      fail(
        path,
        `a .json, .mjs or .js config (Node ${process.versions.node} cannot import TypeScript without a loader; .ts configs need Node ≥ 23.6, or ≥ 22.6 with --experimental-strip-types)`,
        'a .ts file',
      );
    }
    try {
      const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
      value = module.default;
    } catch (e) {
      fail(path, 'a module that imports cleanly', (e as Error).message);
    }
  } else {
    fail(path, 'a .json, .mjs, .js or .ts file', `'${ext || 'no extension'}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(
      path,
      'an object (JSON) or `export default defineConfig({...})`',
      Array.isArray(value) ? 'an array' : typeof value,
    );
  }
  return { path, baseDir: dirname(path), config: value as Record<string, unknown> };
}

/** The config file in `dir` by its conventional names, if any. */
export function findConfigFile(dir: string): string | undefined {
  return CONFIG_FILE_NAMES.map((n) => join(dir, n)).find((p) => existsSync(p));
}
