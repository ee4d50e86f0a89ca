import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIdx } from '@fracbits/nn';
import { Rng } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { runCli as cli } from './run-cli.js';

const fixtures = join(import.meta.dirname, '..', '..', '..', 'packages', 'runner', 'test', 'fixtures');

/** Four IDX files of 12×12 images in 4 classes (class c lights row 2c). */
function tinyData(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fracbits-cli-'));
  const rng = new Rng(5);
  const write = (n: number, images: string, labels: string) => {
    const px = new Uint8Array(n * 144);
    const ys = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      ys[i] = i % 4;
      for (let p = 0; p < 144; p++)
        px[i * 144 + p] = Math.floor(rng.uniform() * 60) + (Math.floor(p / 12) === 2 * (i % 4) ? 180 : 0);
    }
    writeFileSync(join(dir, images), encodeIdx({ type: 'uint8', shape: [n, 12, 12], data: px }));
    writeFileSync(join(dir, labels), encodeIdx({ type: 'uint8', shape: [n], data: ys }));
  };
  write(32, 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte');
  write(16, 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte');
  return dir;
}

const quick = (data: string, out: string, pretrainEpochs = 1) => [
  '--data',
  data,
  '--backend',
  'cpu',
  '--batch-size',
  '8',
  '--epochs',
  '2',
  '--pretrain-epochs',
  String(pretrainEpochs),
  '--train-subset',
  'all',
  '--out',
  out,
  '--cache-dir',
  join(out, '..', 'cache'),
];

describe('fracbits search', () => {
  it('--json prints exactly one JSON object with the result, and the run directory holds every file', async () => {
    const data = tinyData();
    const out = join(data, 'run');
    const r = await cli('search', ...quick(data, out), '--json');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]);
    expect(Object.keys(result).sort()).toEqual(
      ['accuracy', 'bits', 'budget', 'cost', 'data', 'files', 'granularity', 'model', 'runDir'].sort(),
    );
    expect(result).toMatchObject({
      model: 'lenet5',
      data: 'fashion-mnist',
      budget: 'bitops=uniform:3',
      granularity: 'layer',
    });
    expect(Object.keys(result.accuracy).sort()).toEqual(['final', 'float']);
    expect(result.cost).toMatchObject({ unit: 'GBitOps' });
    expect(result.cost.ratio).toBeLessThanOrEqual(1.01);
    expect(result.bits[0]).toEqual({ layer: 'conv1', w: 8, a: 8 });
    for (const file of Object.values(result.files) as string[])
      expect(existsSync(file) || existsSync(join(process.cwd(), file)), file).toBe(true);
    expect(r.stderr).toBe('');

    // The run's bits.json is what `fracbits cost --bits` reads; eval, report and export use the run directory.
    const cost = await cli(
      'cost',
      '--model',
      'lenet5',
      '--input',
      '12',
      '--bits',
      join(out, 'bits.json'),
      '--json',
    );
    expect(cost.code, cost.stderr).toBe(0);
    expect(JSON.parse(cost.stdout).bitops).toBeCloseTo(result.cost.bitops, 12);
    const evaluated = await cli('eval', out, '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).accuracy).toBe(result.accuracy.final);
    const report = await cli('report', out);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('layer  ');
    expect(report.stdout).toContain('report.html');
    const exported = await cli('export', out, '--out', join(data, 'exported'), '--json');
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout).files[0]).toMatch(/lenet5-fracbits\.onnx$/);
  });

  it('prints progress and the summary table without --json, and reuses the cached float model', async () => {
    const data = tinyData();
    const first = await cli('search', ...quick(data, join(data, 'a')));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/pretrain 1\/1 +loss/);
    expect(first.stdout).toMatch(/accuracy: float .* → final \(integer model\)/);
    expect(first.stdout).toMatch(/% of the budget/);
    const second = await cli('search', ...quick(data, join(data, 'b')), '--method', 'uniform');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/float model: cached pre-training/);
    expect(second.stdout).toContain('uniform QAT');
  });

  it('loads a third-party plugin from a config file and uses its cost model and exporter', async () => {
    const data = tinyData();
    const config = join(data, 'fracbits.config.json');
    mkdirSync(join(data, 'plugins'));
    writeFileSync(join(data, 'plugins', 'acme.mjs'), readFileSync(join(fixtures, 'acme-plugin.mjs')));
    writeFileSync(
      config,
      JSON.stringify({
        plugins: ['./plugins/acme.mjs'],
        budgets: ['bitops=uniform:3', 'acme-kbits=20@kappa=0.01'],
        exports: ['onnx', 'acme-csv'],
      }),
    );
    const r = await cli('search', '--config', config, ...quick(data, join(data, 'run')), '--json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(readFileSync(result.files['export:lenet5-fracbits.csv'], 'utf8')).toMatch(
      /^layer,w,a\nconv1,8,8\n/,
    );
    const plugins = await cli('plugins', '--config', config, '--json');
    expect(JSON.parse(plugins.stdout).members.map((m: { name: string }) => m.name)).toContain('acme-kbits');
    const cost = await cli(
      'cost',
      '--model',
      'lenet5',
      '--bits',
      'uniform:4',
      '--cost',
      'acme-kbits',
      '--config',
      config,
      '--json',
    );
    expect(cost.code, cost.stderr).toBe(0);
    expect(JSON.parse(cost.stdout).cost).toMatchObject({ model: 'acme-kbits', unit: 'kbit' });
  });
});

describe('fracbits cost', () => {
  it('--json gives exactly { model, input, bitops, sizeMB, macs, params, layers }', async () => {
    const r = await cli('cost', '--model', 'lenet5', '--bits', 'uniform:3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['model', 'input', 'bitops', 'sizeMB', 'macs', 'params', 'layers']);
    expect(out.input).toEqual([1, 28, 28]);
    expect(Object.keys(out.layers[0])).toEqual([
      'name',
      'macs',
      'params',
      'wBits',
      'aBits',
      'bitops',
      'sizeBits',
    ]);
    // LeNet-5 at 28×28: conv1 (pinned W8 A8) 117 600 MACs, conv2 240 000, fc 48 000 + 10 080 + 840.
    expect(out.layers.map((l: { macs: number }) => l.macs)).toEqual([117600, 240000, 48000, 10080, 840]);
    expect(out.layers.map((l: { wBits: number; aBits: number }) => [l.wBits, l.aBits])).toEqual([
      [8, 8],
      [3, 3],
      [3, 3],
      [3, 3],
      [8, 3],
    ]);
    const bitops = 117600 * 64 + (240000 + 48000 + 10080) * 9 + 840 * 24;
    expect(out.bitops).toBeCloseTo(bitops / 1e9, 15);
    expect(out.macs).toBeCloseTo(416520 / 1e9, 15);
    expect(out.params).toBeCloseTo(61470 / 1e6, 15);
    const sizeBits = 150 * 8 + 2400 * 3 + 48000 * 3 + 10080 * 3 + 840 * 8 + 32 * (6 + 16 + 120 + 84 + 10);
    expect(out.sizeMB).toBeCloseTo(sizeBits / 8e6, 15);
  });

  it('takes --input sizes and prints a table without --json', async () => {
    const r = await cli('cost', '--model', 'resnet20', '--input', '3x32x32', '--bits', 'uniform:4');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resnet20 at input \[3, 32, 32\], bits uniform:4/);
    expect(r.stdout).toMatch(/total: [\d.]+ GBitOps/);
    expect((await cli('cost', '--input', '3y5')).code).toBe(2);
  });

  it('cost --cost <model>@table=<file>: a measured latency table by path, with clear errors', async () => {
    const bad = await cli('cost', '--cost', 'latency@rows=3');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cost: expected <model>\[@table=<file>\], got '@rows=3'/);
    const missing = await cli('cost', '--cost', 'latency@table=/nonexistent/table.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the latency table \/nonexistent\/table\.json/);
  });
});

describe('exit codes and errors', () => {
  it('exits 2 on bad usage and invalid configs, listing every problem without a stack trace', async () => {
    const r = await cli(
      'search',
      '--epochs',
      'x',
      '--granularity',
      'channel',
      '--budget',
      'bitops',
      '--backend',
      'tpu',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('4 problems');
    expect(r.stderr).toContain('epochs (--epochs): expected a number, got "x"');
    expect(r.stderr).toContain('granularity (--granularity)');
    expect(r.stderr).toContain('budgets.0 (--budget)');
    expect(r.stderr).toContain('backend (--backend)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await cli('search', '--model', 'nonet', '--data', '/nonexistent')).stderr).toMatch(
      /model \(--model\): expected a zoo model.*\n.*data\.dir \(--data\)/,
    );
    expect((await cli('search', '--prune', '--method', 'uniform', '--bits', '3')).stderr).toMatch(
      /prune \(--prune\): expected false with method 'uniform'/,
    );
    expect((await cli('search', '--resume', '/tmp', '--epochs', '3')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('search', '--no-such-flag')).code).toBe(2);
    expect((await cli('search', '--plugin', join(fixtures, 'old-plugin.mjs'))).stderr).toMatch(
      /implements plugin specification "v0"/,
    );
  });

  it('exits 1 on a failure, with the stack only under --debug', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'fracbits-empty-'));
    const r = await cli('search', '--data', empty, '--backend', 'cpu', '--out', join(empty, 'run'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/(^|\n)fracbits: Fashion-MNIST not found/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const debug = await cli(
      '--debug',
      'search',
      '--data',
      empty,
      '--backend',
      'cpu',
      '--out',
      join(empty, 'run2'),
    );
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('exits 0 on --help, with examples for every command', async () => {
    for (const command of ['search', 'train', 'eval', 'cost', 'export', 'report', 'models', 'plugins']) {
      const r = await cli(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout, command).toContain('Examples:');
    }
  });
});

describe('Ctrl-C', () => {
  // The built CLI in a child process (turbo builds before testing; run `pnpm build` first locally).
  const bin = join(import.meta.dirname, '..', 'dist', 'bin.js');

  it.skipIf(!existsSync(bin))(
    'stops at the next step, keeps the checkpoint, prints the --resume command; the resume finishes',
    async () => {
      const { spawn } = await import('node:child_process');
      const data = tinyData();
      const out = join(data, 'run');
      const args = quick(data, out, 200);
      const child = spawn(process.execPath, [bin, 'search', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      const code = await new Promise<number | null>((resolve) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (/pretrain 1\/200/.test(stderr) && !child.killed) child.kill('SIGINT');
        });
        child.on('close', (c) => resolve(c));
      });
      expect(code, stderr).toBe(130);
      expect(stderr).toContain(`Resume with: fracbits search --resume ${out}`);
      expect(existsSync(join(out, 'checkpoints', 'pretrain.safetensors'))).toBe(true);
      expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).status).toBe('interrupted');
      const resumed = await cli('search', '--resume', out, '--json');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout).runDir).toBeTruthy();
    },
  );
});
