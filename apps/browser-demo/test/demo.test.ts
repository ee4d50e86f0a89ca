/**
 * The built page (dist/, from `pnpm build`) in headless Chromium with WebGPU: it loads, a short
 * FracBits search runs on the GPU, the charts fill in, the ONNX download works and parses, and
 * the console stays free of errors. A second page without navigator.gpu must say so plainly.
 * Screenshots go to test-output/ (screenshots.test.ts makes the README's, with the default settings).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkModel, decodeModel } from '@fracbits/export';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectErrors, launchChromium, startRun } from './browser.js';
import { type StaticServer, serveStatic } from './serve.js';

const app = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(app, 'dist');
const shots = join(app, 'test-output');

describe('the built bundle', () => {
  const code = () =>
    readdirSync(join(dist, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(dist, 'assets', f), 'utf8'))
      .join('\n');

  it('exists (run `pnpm build` first)', () => {
    expect(readdirSync(dist)).toContain('index.html');
  });

  it('contains no Node-only code: no Dawn, no `webgpu` package, no node: modules', () => {
    // Imports of Node-only modules, and the Dawn binary's traces (error texts may mention the
    // Node entry by name; importing it is what must not happen).
    const forbidden = [
      /dawn/gi,
      /(?:from|import\(|require\()\s*["'](?:webgpu|@fracbits\/[a-z-]+\/node)["']/g,
      /["']node:[a-z_/]+["']/g,
      /["'][^"']+\.node["']/g, // native addons
      /\bcreateRequire\b/g,
    ];
    const js = code();
    expect(forbidden.flatMap((re) => js.match(re) ?? [])).toEqual([]);
  });

  it('ships the data the page announces', () => {
    const info = JSON.parse(readFileSync(join(dist, 'data', 'info.json'), 'utf8'));
    expect(typeof info.available).toBe('boolean');
  });
});

describe('the page in headless Chromium', () => {
  let browser: Browser;
  let server: StaticServer;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    server = await serveStatic(dist);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs a short search on WebGPU, draws the charts and downloads the ONNX model', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    const errors = collectErrors(page);
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="idle"]');
    await page.waitForSelector('#run:not([disabled])');
    expect(await page.getAttribute('#gpu-status', 'class')).toContain('ok');
    expect(await page.textContent('#gpu-status')).toMatch(/^WebGPU: /);
    const info = JSON.parse(readFileSync(join(dist, 'data', 'info.json'), 'utf8'));
    expect(await page.textContent('#data-status')).toMatch(
      info.available ? /Fashion-MNIST/ : /Synthetic images/,
    );

    await startRun(page, { trainImages: '256', testImages: '200', pretrainEpochs: 1, epochs: 3 });
    expect(await page.getAttribute('body', 'data-state')).toBe('running');
    // The cost chart fills in step by step while the search runs.
    await page.waitForSelector('#chart-cost path[data-series="fractional cost"]', { timeout: 120_000 });
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 150_000 });
    expect(await page.textContent('#stage')).toMatch(/^done: /);
    expect(await page.getAttribute('body', 'data-state')).toBe('done');

    // Bits: a weight and an activation bar for each of LeNet-5's five layers.
    expect(await page.locator('#chart-bits g.layer').count()).toBe(5);
    expect(await page.locator('#chart-bits rect.bar-w').count()).toBe(5);
    // Cost vs budget: the per-step cost line, the budget line, the integer model's point.
    const costPath = await page.getAttribute('#chart-cost path[data-series="fractional cost"]', 'd');
    expect((costPath ?? '').split('L').length).toBeGreaterThanOrEqual(4 * 2); // ≥ 2 search epochs × 4 steps
    expect(await page.locator('#chart-cost path[data-series="budget"]').count()).toBe(1);
    expect(await page.locator('#chart-cost circle.marker').count()).toBe(1);
    // Accuracy: float epoch 1, search epoch 1, the fractional model after search epoch 2, and the
    // final integer model after the fine-tune epoch.
    expect(await page.locator('#chart-accuracy circle.marker').count()).toBe(4);
    await page.screenshot({ path: join(shots, 'demo-done.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('lenet5-fracbits-w3-layer.onnx');
    const bytes = new Uint8Array(readFileSync((await download.path()) as string));
    // Protobuf: field 1 (ir_version) as a varint comes first.
    expect(bytes[0]).toBe(0x08);
    const model = decodeModel(bytes);
    expect(checkModel(model)).toEqual([]);
    expect(model.opset_import?.find((o) => !o.domain)?.version).toBe(21);
    const ops = new Set(model.graph?.node?.map((n) => n.op_type));
    for (const op of ['Conv', 'Gemm', 'DequantizeLinear', 'QuantizeLinear']) expect(ops.has(op)).toBe(true);
    const meta = Object.fromEntries(model.metadata_props?.map((p) => [p.key, p.value]) ?? []);
    expect(meta.budget).toBe('bitops=uniform:3');
    await page.waitForFunction(() =>
      document.getElementById('log')?.textContent?.includes('exported lenet5'),
    );

    expect(errors).toEqual([]);
    await page.close();
  });

  it('says plainly when the browser has no WebGPU, and offers the CPU backend', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = collectErrors(page);
    await page.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
    });
    await page.goto(server.url);
    await page.waitForSelector('#run:not([disabled])');
    const status = await page.textContent('#gpu-status');
    expect(status).toMatch(/^This browser has no WebGPU \(navigator\.gpu is undefined\)\./);
    expect(status).toMatch(/CPU reference backend/);
    expect(await page.getAttribute('#gpu-status', 'class')).toContain('error');
    expect(await page.inputValue('#backend')).toBe('cpu');
    expect(await page.locator('#backend option[value="webgpu"]').isDisabled()).toBe(true);
    await page.screenshot({ path: join(shots, 'no-webgpu.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});
