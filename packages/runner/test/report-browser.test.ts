/**
 * The HTML report in a real headless browser (Debian's chromium through playwright-core): it
 * renders offline with no console errors, the charts and the table are there. CI installs
 * chromium (scripts/setup) and fails here without it; elsewhere the test is skipped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { run } from '../src/node.js';
import { tempDir, tinyConfig, writeTinyIdx } from './helpers.js';

const CHROMIUM = process.env.FRACBITS_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);

describe.skipIf(!available && !process.env.CI)('report in headless chromium', () => {
  it('renders offline with its charts, table and config, and no console errors', async () => {
    const dir = tempDir();
    const data = writeTinyIdx(dir);
    const { summary } = await run(tinyConfig(dir, data, { granularity: 'kernel' }));
    const report = join(dir, 'run', 'report.html');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--headless=new',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
      expect(problems).toEqual([]);
      // Self-contained: the only request is the file itself.
      expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
      expect(await page.title()).toContain('lenet5');
      const layers = summary.bits.length;
      expect(await page.locator('#chart-bits rect.bar-w').count()).toBe(layers);
      expect(await page.locator('#chart-bits rect.bar-a').count()).toBe(layers);
      expect(await page.locator('#chart-cost path.line').count()).toBe(2);
      expect(await page.locator('#chart-accuracy path.line').count()).toBe(2);
      expect(await page.locator('table#layers tr').count()).toBe(layers + 2);
      expect(await page.locator('#config').textContent()).toContain('"granularity": "kernel"');
      // The charts have a real size on the page.
      const box = await page.locator('#chart-bits').boundingBox();
      expect(box?.width).toBeGreaterThan(300);
      if (process.env.FRACBITS_REPORT_SCREENSHOT)
        await page.screenshot({ path: process.env.FRACBITS_REPORT_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
