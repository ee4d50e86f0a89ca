#!/usr/bin/env node
// `pnpm bench`: runs every benchmark module (packages/*/bench/*.bench.mjs and apps/*/bench/*.bench.mjs,
// which import the built packages), prints a table and writes bench/results/latest.json.
//
// A benchmark module exports `async function run(ctx)` returning an array of entries
// `{ name, value, unit, adapter, note?, reference? }` where `reference` is `{ value, label }`
// (a reference point from the issues, e.g. PyTorch's time on the same machine). `ctx` holds
// `{ quick, repeats, median(fn) }`: `median(fn)` times `fn` `repeats` times and returns the median ms.
// Set BENCH_QUICK=1 for a fast smoke run; BENCH_FILTER=<substring> to run matching modules only.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.env.BENCH_QUICK === '1';
const filter = process.env.BENCH_FILTER ?? '';
const repeats = quick ? 2 : 5;

function findModules() {
  const out = [];
  for (const group of ['packages', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const pkg of readdirSync(dir).sort()) {
      const benchDir = join(dir, pkg, 'bench');
      if (!existsSync(benchDir)) continue;
      for (const f of readdirSync(benchDir).sort()) if (f.endsWith('.bench.mjs')) out.push(join(benchDir, f));
    }
  }
  return out.filter((f) => f.includes(filter));
}

async function median(fn, n = repeats) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const machine = {
  host: hostname(),
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
const date = new Date().toISOString();
const entries = [];
for (const file of findModules()) {
  const rel = relative(root, file);
  process.stderr.write(`bench: ${rel}\n`);
  try {
    const mod = await import(pathToFileURL(file).href);
    const results = await mod.run({ quick, repeats, median });
    for (const r of results) entries.push({ ...r, module: rel, machine, date });
  } catch (err) {
    process.stderr.write(`bench: ${rel} failed: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  }
}

const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
const rows = entries.map((e) => [
  e.name,
  `${fmt(e.value)} ${e.unit}`,
  e.reference ? `${fmt(e.reference.value)} ${e.unit} (${e.reference.label})` : '',
  e.note ?? '',
  e.adapter ?? '',
]);
const header = ['benchmark', 'value', 'reference', 'note', 'adapter'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify({ date, machine, entries }, null, 2)}\n`);
console.log(`\nwrote ${relative(process.cwd(), join(outDir, 'latest.json'))}`);
