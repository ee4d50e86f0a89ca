import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// The browser test builds nothing itself: it serves dist/ (the build task runs first).
export default mergeConfig(shared, defineConfig({ test: { include: ['test/**/*.test.ts'] } }));
