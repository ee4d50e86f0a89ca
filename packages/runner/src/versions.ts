/** Versions of the @fracbits packages a run used (recorded in run.json). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGES = ['tensor', 'kernels', 'webgpu', 'nn', 'plugin-api', 'cost', 'core', 'export', 'runner'];

function findPackageJson(name: string, from: string): string | null {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function packageVersions(): Record<string, string> {
  const here = dirname(fileURLToPath(import.meta.url));
  const out: Record<string, string> = {};
  for (const short of PACKAGES) {
    const name = `@fracbits/${short}`;
    const path = short === 'runner' ? join(here, '..', 'package.json') : findPackageJson(name, here);
    if (!path || !existsSync(path)) continue;
    try {
      out[name] = (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
    } catch {
      // unreadable: leave it out
    }
  }
  out.node = process.versions.node;
  return out;
}
