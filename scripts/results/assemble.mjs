#!/usr/bin/env node
// Assembles the rows written by scripts/results/lenet5-reduced.sh into a Markdown table:
// node scripts/results/assemble.mjs <raw dir> <runs dir>  (prints Markdown on stdout).
// Each row: the `fracbits search --json` result, the command that produced it, and the
// discretisation event of its run (fractional accuracy, offset, moves, final ratio).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [rawDir = 'docs/results/raw/lenet5', runsDir = 'runs/results'] = process.argv.slice(2);
const pct = (x) => (x === undefined || x === null ? '—' : `${(100 * x).toFixed(2)}`);
const rows = [];
for (const file of readdirSync(rawDir)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  const name = file.replace(/\.json$/, '');
  const text = readFileSync(join(rawDir, file), 'utf8').trim();
  if (!text) continue;
  const r = JSON.parse(text);
  const cmd = existsSync(join(rawDir, `${name}.cmd`))
    ? readFileSync(join(rawDir, `${name}.cmd`), 'utf8').trim()
    : '';
  const eventsFile = join(runsDir, name, 'events.jsonl');
  const discretise = existsSync(eventsFile)
    ? readFileSync(eventsFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"type":"discretise"'))
        .map((l) => JSON.parse(l))[0]
    : undefined;
  rows.push({ name, r, cmd, discretise });
}
const order = (n) => {
  const m = /(uniform-w|fracbits-layer-u|fracbits-kernel-u)(\d)/.exec(n);
  return m ? Number(m[2]) * 10 + ['uniform-w', 'fracbits-layer-u', 'fracbits-kernel-u'].indexOf(m[1]) : 99;
};
rows.sort((a, b) => order(a.name) - order(b.name));
const out = [];
out.push(
  '| row | budget | test acc. (%) | fractional acc. before discretisation (%) | BitOps (M) | ratio to budget | size (KB) | offset / moves | bits (W/A per layer) |',
);
out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { name, r, discretise } of rows) {
  const unitScale = r.cost.unit === 'GBitOps' ? 1000 : 1;
  const bits = r.bits
    .map((b) => `${b.layer} ${Array.isArray(b.w) ? `[${Math.min(...b.w)}–${Math.max(...b.w)}]` : b.w}/${b.a}`)
    .join(', ');
  out.push(
    `| ${name} | ${r.budget} | ${pct(r.accuracy.final)} | ${pct(discretise?.fractionalAccuracy)} | ${(r.cost.bitops * unitScale).toFixed(3)} | ${r.cost.ratio.toFixed(4)} | ${(r.cost.sizeMB * 1000).toFixed(1)} | ${discretise ? `${discretise.offset} / ${discretise.moves}` : '—'} | ${bits} |`,
  );
}
out.push('', 'Commands:', '');
for (const { name, cmd } of rows) out.push(`- ${name}: \`${cmd}\``);
console.log(out.join('\n'));
