// Shared vitest settings: packages resolve each other's TypeScript sources through the
// "@fracbits/source" export condition, so tests never need a build of their dependencies.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@fracbits/source'] },
  ssr: { resolve: { conditions: ['@fracbits/source'] } },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
