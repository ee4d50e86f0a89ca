import { defineConfig } from 'vite';

// The page imports the fracbits packages through their published entries (dist/, browser-safe
// main exports only), exactly as an app depending on them from npm would.
export default defineConfig({
  base: './',
  build: { target: 'es2022', outDir: 'dist', chunkSizeWarningLimit: 2000 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
