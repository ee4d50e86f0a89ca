/**
 * The plugin specification version. Every plugin and every plugin member (cost model, quantizer,
 * exporter, ...) declares the version it was written against, so a host can refuse a plugin
 * written for an incompatible specification with a clear message instead of failing deep inside
 * a run.
 */

/** The specification version this package describes. */
export const SPECIFICATION_VERSION = 'v1';

/** The type of {@link SPECIFICATION_VERSION}. */
export type SpecificationVersion = typeof SPECIFICATION_VERSION;

/** The fields every versioned object has. */
export interface Versioned {
  /** The plugin specification this object implements: always `'v1'` for this package. */
  readonly specificationVersion: SpecificationVersion;
  /** A short, unique (within its kind) name, e.g. `'bitops'`. */
  readonly name: string;
}

/** Member arrays of a plugin that are checked along with the plugin itself. */
const MEMBER_KEYS = [
  'costModels',
  'quantizers',
  'pruners',
  'exporters',
  'importers',
  'modelSources',
  'datasets',
] as const;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

function checkOne(value: unknown, what: string, owner = ''): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `checkSpecificationVersion: expected ${what}${owner} to be an object, got ${describe(value)}`,
    );
  }
  const record = value as Record<string, unknown>;
  const label = (typeof record.name === 'string' ? `${what} "${record.name}"` : what) + owner;
  const version = record.specificationVersion;
  if (version === undefined) {
    throw new Error(
      `checkSpecificationVersion: ${label} does not declare specificationVersion ` +
        `(expected '${SPECIFICATION_VERSION}')`,
    );
  }
  if (version !== SPECIFICATION_VERSION) {
    throw new Error(
      `checkSpecificationVersion: ${label} implements plugin specification ${describe(version)}, ` +
        `but this host supports '${SPECIFICATION_VERSION}'; use a release of the plugin written for ` +
        `@fracbits/plugin-api ${SPECIFICATION_VERSION}`,
    );
  }
}

/**
 * Throws a clear error unless `plugin` (a plugin or a single member such as a cost model)
 * declares `specificationVersion: 'v1'`. For a plugin bundle, every member in its
 * `costModels`, `quantizers`, `pruners`, `exporters`, `importers`, `modelSources` and `datasets`
 * arrays is checked too. Returns its argument, typed, so it can wrap an import:
 *
 * ```ts
 * const plugin = checkSpecificationVersion((await import('my-plugin')).default as FracbitsPlugin);
 * ```
 */
export function checkSpecificationVersion<T>(plugin: T): T {
  checkOne(plugin, 'plugin');
  const record = plugin as Record<string, unknown>;
  const owner = typeof record.name === 'string' ? ` of plugin "${record.name}"` : '';
  for (const key of MEMBER_KEYS) {
    const members = record[key];
    if (members === undefined) continue;
    if (!Array.isArray(members)) {
      throw new Error(
        `checkSpecificationVersion: expected ${key}${owner} to be an array, got ${describe(members)}`,
      );
    }
    members.forEach((member, i) => {
      checkOne(member, `${key}[${i}]`, owner);
    });
  }
  return plugin;
}
