import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkModel, decodeModel } from '@fracbits/export';
import { inferCpu, readPackedModel } from '@fracbits/packed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, parseOptions, runWalkthrough, type WalkthroughResult } from '../src/walkthrough.js';
import { writeTinyFashionMnist } from './data.js';

const app = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const inCi = !['', 'false', '0', undefined].includes(process.env.CI);

let work: string;
let data: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fracbits-walkthrough-'));
  data = join(work, 'data');
  writeTinyFashionMnist(data, 200, 60);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const tiny = (out: string, extra: Record<string, unknown> = {}) => ({
  ...DEFAULTS,
  dataDir: data,
  trainImages: 200,
  testImages: 60,
  pretrainEpochs: 12,
  epochs: 3,
  batchSize: 20,
  backend: 'cpu' as const,
  outDir: join(work, out),
  ...extra,
});

describe('the walkthrough on the CPU backend (tiny data)', () => {
  let result: WalkthroughResult;
  const lines: string[] = [];

  beforeAll(async () => {
    result = await runWalkthrough(tiny('cpu-kernel', { granularity: 'kernel', budgetBits: 4 }), (l) =>
      lines.push(l),
    );
  });

  it('pre-trains, searches under the budget and reports the integer model', () => {
    expect(result.backend).toBe('cpu');
    expect(result.trainImages).toBe(200);
    expect(result.testImages).toBe(60);
    // The bands are learnable (chance is 0.1), and the quantized model keeps what the float one learnt.
    expect(result.floatAccuracy).toBeGreaterThan(0.5);
    expect(result.fracbits.accuracy).toBeGreaterThan(0.5);
    // The budget is a ceiling (FRACBITS.md §4): the integer model ends at most 1 % above it.
    expect(result.fracbits.ratio).toBeLessThanOrEqual(1.01);
    expect(result.fracbits.cost).toBeCloseTo(result.fracbits.budget * result.fracbits.ratio, 9);
    expect(result.fracbits.bits.map((b) => b.layer)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    // Pinned layers: first conv W8 on an 8-bit image, last linear W8.
    expect(result.fracbits.bits[0]).toMatchObject({ w: 8, a: 8 });
    expect(result.fracbits.bits[4].w).toBe(8);
    for (const b of result.fracbits.bits.slice(1, 4)) {
      const w = Array.isArray(b.w) ? b.w : [b.w];
      for (const v of [...w, b.a]) expect(Number.isInteger(v) && v >= 2 && v <= 8).toBe(true);
    }
  });

  it('prints the steps and the per-layer bits table', () => {
    const text = lines.join('\n');
    expect(text).toMatch(/^backend: cpu/);
    expect(text).toMatch(/float epoch 12\/12/);
    expect(text).toMatch(/search epoch 1\/3: .* MBitOps/);
    expect(text).toMatch(/discretised: offset/);
    expect(text).toMatch(/layer\s+weight bits\s+input bits/);
    expect(text).toMatch(/conv1\s+8\s+8\s+pinned/);
    expect(text).toMatch(/packed model on CPU twin: test accuracy/);
    expect(text).toMatch(/packed vs engine logits: max \|difference\|/);
  });

  it('writes a valid QDQ ONNX file holding the searched bits', () => {
    const bytes = new Uint8Array(readFileSync(result.files.onnx));
    expect(bytes.length).toBe(result.onnx.bytes);
    const model = decodeModel(bytes);
    expect(checkModel(model)).toEqual([]);
    expect(model.opset_import?.find((o) => !o.domain)?.version).toBe(21);
    const ops = new Set(model.graph?.node?.map((n) => n.op_type));
    for (const op of ['Conv', 'DequantizeLinear', 'QuantizeLinear']) expect(ops.has(op)).toBe(true);
    const meta = Object.fromEntries(model.metadata_props?.map((p) => [p.key, p.value]) ?? []);
    expect(meta.budget).toBe('bitops=uniform:4');
  });

  it('writes a packed file whose per-channel bits are the searched ones', () => {
    const packed = readPackedModel(new Uint8Array(readFileSync(result.files.packed))); // validates all
    const weighted = packed.manifest.layers.filter((l) => l.op === 'conv' || l.op === 'linear');
    expect(weighted.map((l) => l.name)).toEqual(result.fracbits.bits.map((b) => b.layer));
    weighted.forEach((l, i) => {
      const b = result.fracbits.bits[i];
      const channels = 'weightBits' in l ? l.weightBits.length : 0;
      const expected = Array.isArray(b.w) ? b.w : new Array(channels).fill(b.w);
      expect('weightBits' in l && l.weightBits).toEqual(expected);
      const activation = 'activation' in l ? l.activation : null;
      if (i === 0)
        expect(activation).toBeNull(); // the image is not quantized
      else expect(activation?.bits).toBe(b.a);
    });
  });

  it("runs the packed model: its accuracy is the engine's integer-model accuracy", () => {
    // Integer accumulation vs the engine's float fake-quant: only float rounding can differ, so at
    // most a near-tie image could flip.
    expect(Math.abs(result.packed.accuracy - result.fracbits.accuracy)).toBeLessThanOrEqual(1 / 60 + 1e-12);
    // Logits agree to float32 rounding (integer accumulation vs float fake-quant).
    expect(result.packed.maxLogit).toBeGreaterThan(0);
    expect(result.packed.maxLogitDiff).toBeLessThanOrEqual(1e-4 * Math.max(1, result.packed.maxLogit));
    const packed = readPackedModel(new Uint8Array(readFileSync(result.files.packed)));
    const logits = inferCpu(packed, new Float32Array(2 * 784).fill(0.5));
    expect(logits.length).toBe(20);
  });

  it('writes summary.json with what it returned', () => {
    expect(JSON.parse(readFileSync(result.files.summary, 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(result)),
    );
  });
});

describe('options', () => {
  it('reads argv over the environment', () => {
    const o = parseOptions(['--epochs', '2', '--backend', 'cpu'], {
      WALKTHROUGH_EPOCHS: '7',
      WALKTHROUGH_TRAIN_IMAGES: '300',
    });
    expect(o).toMatchObject({ epochs: 2, backend: 'cpu', trainImages: 300, model: 'lenet5' });
    expect(parseOptions(['--help'])).toBe('help');
  });

  it('names the bad option and what it expected', () => {
    expect(() => parseOptions(['--bits', '9'])).toThrow(
      "walkthrough: --bits: expected an integer in [2, 8], got '9'",
    );
    expect(() => parseOptions([], { WALKTHROUGH_MODEL: 'resnet18' })).toThrow(
      "walkthrough: WALKTHROUGH_MODEL: expected one of lenet5, convnet, got 'resnet18'",
    );
    expect(() => parseOptions(['--epoch', '2'])).toThrow(/--epoch/);
  });
});

function runBin(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(app, 'dist/main.js'), ...args],
      { maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('the built program (dist/main.js)', () => {
  beforeAll(() => {
    if (!existsSync(join(app, 'dist/main.js')))
      throw new Error('the walkthrough is not built: run `pnpm build` first');
  });

  it('prints its usage and rejects bad options with exit code 2', async () => {
    const help = await runBin(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--train-images <value>/);
    const bad = await runBin(['--granularity', 'channel']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--granularity: expected one of layer, kernel, got 'channel'/);
  });

  it('runs on WebGPU (Dawn) and the packed model runs on the GPU', async () => {
    const out = join(work, 'webgpu');
    const r = await runBin([
      '--backend',
      'webgpu',
      '--data',
      data,
      '--train-images',
      '100',
      '--test-images',
      '40',
      '--pretrain-epochs',
      '2',
      '--epochs',
      '1',
      '--batch-size',
      '50',
      '--out',
      out,
    ]);
    if (r.code !== 0 && /no WebGPU adapter/.test(r.stderr) && !inCi) {
      console.warn('skipped: no WebGPU adapter on this machine (CI has lavapipe, where this must pass)');
      return;
    }
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^backend: webgpu/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as WalkthroughResult;
    expect(summary.packed.runtime).toMatch(/^WebGPU \((dot4|float) kernels\)$/);
    expect(Math.abs(summary.packed.accuracy - summary.fracbits.accuracy)).toBeLessThanOrEqual(1 / 40 + 1e-12);
    expect(summary.packed.maxLogitDiff).toBeLessThanOrEqual(1e-4 * Math.max(1, summary.packed.maxLogit));
  });
});
