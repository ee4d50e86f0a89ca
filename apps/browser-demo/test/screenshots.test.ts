/**
 * The README's screenshots (docs/*.png), taken with the page's default settings: a full run of a
 * few minutes on SwiftShader, so it only runs on request:
 *
 *   FRACBITS_SCREENSHOTS=1 pnpm --filter @fracbits/browser-demo exec vitest run test/screenshots.test.ts
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectErrors, launchChromium } from './browser.js';
import { serveStatic } from './serve.js';

const app = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const docs = join(app, 'docs');

describe.runIf(process.env.FRACBITS_SCREENSHOTS)('README screenshots', () => {
  it('captures the page while searching, when done, and without WebGPU', { timeout: 1_200_000 }, async () => {
    mkdirSync(docs, { recursive: true });
    const server = await serveStatic(join(app, 'dist'));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const errors = collectErrors(page);
      await page.goto(server.url);
      await page.waitForSelector('#run:not([disabled])');
      await page.click('#run'); // the defaults: 2000 images, 6 float + 5 FracBits epochs
      await page.waitForFunction(
        () =>
          (document
            .querySelector('#chart-cost path[data-series="fractional cost"]')
            ?.getAttribute('d')
            ?.split('L').length ?? 0) > 40,
        undefined,
        { timeout: 900_000, polling: 1000 },
      );
      await page.screenshot({ path: join(docs, 'demo-searching.png') });
      await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 900_000 });
      expect(await page.getAttribute('body', 'data-state')).toBe('done');
      await page.screenshot({ path: join(docs, 'demo-done.png'), fullPage: true });
      expect(errors).toEqual([]);

      const bare = await browser.newPage({ viewport: { width: 1280, height: 560 } });
      await bare.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
      });
      await bare.goto(server.url);
      await bare.waitForSelector('#run:not([disabled])');
      await bare.screenshot({ path: join(docs, 'no-webgpu.png') });
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
