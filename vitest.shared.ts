// Shared vitest settings: packages resolve each other's TypeScript sources through the
// "@fracbits/source" export condition, so tests never need a build of their dependencies.
import { defineConfig } from 'vitest/config';

// vitest 5's reporter calls Map.groupBy, which Node 20 lacks: without this, a failing test crashes
// the reporter and hides the failure. The config file runs in vitest's main process.
if (typeof (Map as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    configurable: true,
    writable: true,
    value<K, V>(items: Iterable<V>, key: (item: V, index: number) => K): Map<K, V[]> {
      const out = new Map<K, V[]>();
      let i = 0;
      for (const item of items) {
        const k = key(item, i++);
        const list = out.get(k);
        if (list) list.push(item);
        else out.set(k, [item]);
      }
      return out;
    },
  });
}

export default defineConfig({
  resolve: { conditions: ['@fracbits/source'] },
  ssr: { resolve: { conditions: ['@fracbits/source'] } },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
