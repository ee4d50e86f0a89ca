/**
 * The plugin as users install it: a project folder whose node_modules holds the package (here a
 * symlink to this app, as `npm install fracbits-plugin-example` would place it) and a
 * fracbits.config.json naming it. The built `fracbits` CLI (apps/cli/dist) loads it by package
 * name; the search runs on tiny generated IDX files on the CPU backend.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniformStream } from '@fracbits/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const app = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = resolve(app, '../cli/dist/bin.js');

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function fracbits(args: readonly string[], cwd: string): Promise<Result> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** An IDX file (big-endian header: 0, 0, type 0x08 = ubyte, rank; then the dimensions). */
function idx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint8(2, 0x08);
  header.setUint8(3, dims.length);
  dims.forEach((d, i) => {
    header.setUint32(4 + 4 * i, d);
  });
  const out = new Uint8Array(header.byteLength + data.length);
  out.set(new Uint8Array(header.buffer), 0);
  out.set(data, header.byteLength);
  return out;
}

/** Fashion-MNIST-shaped random images, classes round-robin (so class-balanced subsets exist). */
function writeTinyDataset(dir: string, train: number, test: number): void {
  mkdirSync(dir, { recursive: true });
  const random = uniformStream(3);
  const split = (images: string, labels: string, n: number) => {
    const pixels = Uint8Array.from({ length: n * 28 * 28 }, () => Math.floor(random() * 256));
    writeFileSync(join(dir, images), idx([n, 28, 28], pixels));
    writeFileSync(
      join(dir, labels),
      idx(
        [n],
        Uint8Array.from({ length: n }, (_, i) => i % 10),
      ),
    );
  };
  split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', train);
  split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', test);
}

let project: string;

beforeAll(() => {
  for (const [file, what] of [
    [cli, 'the fracbits CLI (apps/cli)'],
    [join(app, 'dist/index.js'), 'this plugin'],
  ]) {
    if (!existsSync(file))
      throw new Error(`${what} is not built (${file} missing): run \`pnpm build\` first`);
  }
  project = mkdtempSync(join(tmpdir(), 'fracbits-plugin-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(app, join(project, 'node_modules', 'fracbits-plugin-example'), 'dir');
  writeFileSync(
    join(project, 'fracbits.config.json'),
    JSON.stringify({ plugins: ['fracbits-plugin-example'] }),
  );
  writeTinyDataset(join(project, 'data'), 60, 20);
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the fracbits CLI with the plugin installed by package name', () => {
  it('`fracbits plugins` lists the plugin, its cost model and its exporter', async () => {
    const r = await fracbits(['plugins', '--json'], project);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.plugins).toContainEqual({
      name: 'fracbits-plugin-example',
      source: 'fracbits-plugin-example',
      specificationVersion: 'v1',
    });
    const mine = out.members.filter((m: { plugin: string }) => m.plugin === 'fracbits-plugin-example');
    expect(mine.map((m: { kind: string; name: string }) => `${m.kind}:${m.name}`)).toEqual([
      'costModel:acme-latency',
      'exporter:acme-json',
    ]);
  });

  it('`fracbits cost --cost acme-latency` adds the latency per layer', async () => {
    const r = await fracbits(
      ['cost', '--model', 'lenet5', '--bits', 'uniform:3', '--cost', 'acme-latency', '--json'],
      project,
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.cost.model).toBe('acme-latency');
    expect(out.cost.unit).toBe('us');
    expect(out.layers.map((l: { name: string }) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    const sum = out.layers.reduce((s: number, l: { cost: number }) => s + l.cost, 0);
    expect(out.cost.total).toBeCloseTo(sum, 9);
    // W3A3 everywhere but the pinned layers: conv1 at W8A8 is charged like a full-precision layer.
    expect(out.layers[0].cost).toBeGreaterThan(out.layers[1].cost);
  });

  it('`fracbits search --budget acme-latency=…` searches under the latency budget and exports acme-json', async () => {
    const run = join(project, 'run');
    const r = await fracbits(
      [
        'search',
        '--budget',
        'acme-latency=5us',
        '--export',
        'acme-json',
        '--data',
        join(project, 'data'),
        '--train-subset',
        '60',
        '--pretrain-epochs',
        '0',
        '--epochs',
        '1',
        '--max-steps',
        '2',
        '--batch-size',
        '30',
        '--backend',
        'cpu',
        '--no-epoch-eval',
        '--cache-dir',
        join(project, 'cache'),
        '--out',
        run,
        '--json',
      ],
      project,
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.budget).toBe('acme-latency=5us');
    expect(summary.cost.unit).toBe('us');
    expect(summary.cost.budget).toBe(5);
    // The budget is a ceiling after discretisation (FRACBITS.md §4): at most 1 % above it.
    expect(summary.cost.ratio).toBeLessThanOrEqual(1.01);
    const exported = JSON.parse(readFileSync(join(run, 'exports', 'lenet5-fracbits.acme.json'), 'utf8'));
    expect(exported.format).toBe('acme-npu-bits');
    expect(exported.layers.map((l: { name: string }) => l.name)).toEqual([
      'conv1',
      'conv2',
      'fc1',
      'fc2',
      'fc3',
    ]);
    expect(exported.latencyUs).toBeCloseTo(5 * summary.cost.ratio, 9);
    expect(exported.layers.map((l: { weightBits: number }) => l.weightBits)).toEqual(
      summary.bits.map((b: { w: number }) => b.w),
    );
  });

  it("names the plugin's members when a cost model name is misspelt", async () => {
    const r = await fracbits(['cost', '--model', 'lenet5', '--cost', 'acme-latancy'], project);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown cost model "acme-latancy"; registered: .*acme-latency/);
  });

  it('loads the plugin from a path as well (--plugin <file>)', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'fracbits-plugin-path-'));
    try {
      const r = await fracbits(['plugins', '--plugin', join(app, 'dist/index.js'), '--json'], elsewhere);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.members.map((m: { name: string }) => m.name)).toContain('acme-latency');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
