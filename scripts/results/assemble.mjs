#!/usr/bin/env node
// Assembles result rows written by scripts/results/*.sh into Markdown tables:
//   node scripts/results/assemble.mjs <raw dir> <runs dir>   (prints Markdown on stdout)
// A row is one `fracbits search --json` result (<name>.json), the command that produced it
// (<name>.cmd) and its run's events (<name>.events.jsonl beside them, else
// <runs dir>/<name>/events.jsonl: discretisation, pruning, epoch times). Names ending in -s<seed> are seeds of one row and are aggregated (mean ± sample
// std, and each seed's value); other names count as seed 0.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [rawDir = 'docs/results/raw/lenet5', runsDir = 'runs/results'] = process.argv.slice(2);

function readRow(file) {
  const name = file.replace(/\.json$/, '');
  const text = readFileSync(join(rawDir, file), 'utf8').trim();
  if (!text?.startsWith('{')) return null;
  const r = JSON.parse(text);
  if (!r.cost) return null; // not a search result (e.g. the float training summary)
  const cmdFile = join(rawDir, `${name}.cmd`);
  const cmd = existsSync(cmdFile) ? readFileSync(cmdFile, 'utf8').trim() : '';
  // The run's events without step events: kept beside the JSON (protocol.sh), else in the run dir.
  const kept = join(rawDir, `${name}.events.jsonl`);
  const eventsFile = existsSync(kept) ? kept : join(runsDir, name, 'events.jsonl');
  const events = existsSync(eventsFile)
    ? readFileSync(eventsFile, 'utf8')
        .split('\n')
        .filter((l) => l && !l.includes('"type":"step"'))
        .map((l) => JSON.parse(l))
    : [];
  const discretise = events.find((e) => e.type === 'discretise');
  const prunedNotice = events.find((e) => e.type === 'notice' && e.message?.startsWith('pruned:'))?.message;
  const epochSeconds = (stage) =>
    events.filter((e) => e.type === 'epoch' && e.stage === stage).map((e) => e.seconds);
  const m = /^(.*?)(?:-s(\d+))?$/.exec(name);
  return {
    name,
    row: m[1],
    seed: m[2] === undefined ? 0 : Number(m[2]),
    r,
    cmd,
    discretise,
    pruned: r.pruned ?? parsePrunedNotice(prunedNotice),
    seconds: { search: epochSeconds('search'), finetune: epochSeconds('finetune') },
  };
}

/** 'pruned: conv2 11/16 channels removed' (older runs, before the summary carried `pruned`). */
function parsePrunedNotice(message) {
  if (!message) return undefined;
  return [...message.matchAll(/(\w+) (\d+)\/(\d+)/g)].map(([, layer, n, of]) => ({
    layer,
    of: Number(of),
    removed: Array.from({ length: Number(n) }),
    keptZeroed: [],
  }));
}

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v) =>
  v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1));
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const pct = (x) => (x === undefined || x === null ? '—' : (100 * x).toFixed(2));
const meanStd = (v) => (v.length > 1 ? `${pct(mean(v))} ± ${pct(std(v))}` : pct(v[0]));

const rows = readdirSync(rawDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map(readRow)
  .filter(Boolean);
const groups = new Map();
for (const row of rows) {
  if (!groups.has(row.row)) groups.set(row.row, []);
  groups.get(row.row).push(row);
}
for (const g of groups.values()) g.sort((a, b) => a.seed - b.seed);

const KINDS = ['uniform-w', 'fracbits-layer-u', 'fracbits-kernel-u', 'prune-kernel-u'];
const order = (name) => {
  const m = /^(uniform-w|fracbits-layer-u|fracbits-kernel-u|prune-kernel-u)(\d)/.exec(name);
  return m ? Number(m[2]) * 10 + KINDS.indexOf(m[1]) : 99;
};
const names = [...groups.keys()].sort((a, b) => order(a) - order(b));

const bitsText = (r) =>
  r.bits
    .map((b) => `${b.layer} ${Array.isArray(b.w) ? `[${Math.min(...b.w)}–${Math.max(...b.w)}]` : b.w}/${b.a}`)
    .join(', ');
const prunedText = (p) =>
  p === undefined
    ? '—'
    : p
        .filter((l) => l.removed.length || l.keptZeroed.length)
        .map((l) => `${l.layer} ${l.removed.length}/${l.of}`)
        .join(', ') || 'none';

const out = [];
out.push(
  '| row | budget | seeds | test acc. (%) mean ± std | per seed | fractional acc. (%) | rounded acc. (%) | BitOps (M) | ratio to budget | size (KB) | channels removed | offset / moves (seed 0) | bits of seed 0 (W/A per layer) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
);
for (const name of names) {
  const g = groups.get(name);
  const first = g[0];
  const acc = g.map((x) => x.r.accuracy.final);
  const frac = g.map((x) => x.discretise?.fractionalAccuracy).filter((x) => x !== undefined);
  const rounded = g.map((x) => x.discretise?.roundedAccuracy).filter((x) => x !== undefined);
  const unitScale = first.r.cost.unit === 'GBitOps' ? 1000 : 1;
  const bitops = g.map((x) => x.r.cost.bitops * unitScale);
  const ratios = g.map((x) => x.r.cost.ratio);
  const range = (v, d) =>
    Math.min(...v) === Math.max(...v)
      ? v[0].toFixed(d)
      : `${Math.min(...v).toFixed(d)}–${Math.max(...v).toFixed(d)}`;
  out.push(
    `| ${name} | ${first.r.budget} | ${g.map((x) => x.seed).join(', ')} | ${meanStd(acc)} | ${acc.map(pct).join(' / ')} | ${frac.length ? meanStd(frac) : '—'} | ${rounded.length ? meanStd(rounded) : '—'} | ${range(bitops, 3)} | ${range(ratios, 4)} | ${(first.r.cost.sizeMB * 1000).toFixed(1)} | ${g.map((x) => prunedText(x.pruned)).join(' / ')} | ${first.discretise ? `${first.discretise.offset} / ${first.discretise.moves}` : '—'} | ${bitsText(first.r)} |`,
  );
}

const timing = names
  .map((name) => {
    const all = groups.get(name);
    const search = all.flatMap((x) => x.seconds.search);
    const finetune = all.flatMap((x) => x.seconds.finetune);
    return { name, search, finetune };
  })
  .filter((t) => t.search.length || t.finetune.length);
if (timing.length) {
  out.push(
    '',
    'Seconds per training epoch (median over the epochs of every seed; uniform QAT epochs are reported as fine-tune):',
    '',
  );
  out.push('| row | search epoch (s) | fine-tune / uniform QAT epoch (s) |', '| --- | --- | --- |');
  for (const t of timing)
    out.push(
      `| ${t.name} | ${t.search.length ? median(t.search).toFixed(1) : '—'} | ${t.finetune.length ? median(t.finetune).toFixed(1) : '—'} |`,
    );
}

out.push('', 'Commands:', '');
for (const name of names) for (const x of groups.get(name)) out.push(`- ${x.name}: \`${x.cmd}\``);
console.log(out.join('\n'));
