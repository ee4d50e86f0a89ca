/**
 * Headless Debian Chromium through playwright-core, with WebGPU: Chromium exposes `navigator.gpu`
 * on a SwiftShader (CPU Vulkan) adapter with --enable-unsafe-webgpu. Playwright's own browser
 * download is not used (nor possible offline): `executablePath` points at the system Chromium.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.FRACBITS_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--headless=new',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-angle=swiftshader',
  '--enable-features=Vulkan',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (scripts/setup), or set FRACBITS_CHROMIUM`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Collects console errors and uncaught exceptions of a page. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return errors;
}

export interface RunSettings {
  readonly trainImages: '256' | '1000' | '2000';
  readonly testImages: '200' | '500' | '1000';
  readonly pretrainEpochs: number;
  readonly epochs: number;
  readonly budget?: string;
  readonly granularity?: 'layer' | 'kernel';
}

/** Fills the controls and starts a run. */
export async function startRun(page: Page, s: RunSettings): Promise<void> {
  await page.selectOption('#train-images', s.trainImages);
  await page.selectOption('#test-images', s.testImages);
  await page.fill('#pretrain-epochs', String(s.pretrainEpochs));
  await page.fill('#epochs', String(s.epochs));
  if (s.budget) await page.selectOption('#budget', s.budget);
  if (s.granularity) await page.selectOption('#granularity', s.granularity);
  await page.click('#run');
}
