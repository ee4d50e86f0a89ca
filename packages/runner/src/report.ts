/**
 * The run report: one self-contained HTML file (inline CSS and SVG, no script, no external
 * resource, so it opens offline), with charts of the per-layer weight and activation bits, cost vs
 * budget and accuracy over the epochs, the per-layer table and the run's config.
 */
import {
  budgetText,
  formatBits,
  formatPruned,
  pct,
  type ReportData,
  TABLE_HEADER,
  tableRows,
} from './summary.js';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(2)) : 0);

const W = 640;
const H = 260;
const M = { left: 48, right: 16, top: 16, bottom: 56 };
const COLORS = {
  w: '#3465a4',
  a: '#f57900',
  cost: '#3465a4',
  budget: '#cc0000',
  acc: '#4e9a06',
  pre: '#75507b',
};

function frame(id: string, title: string, body: string, legend: [string, string][]): string {
  const items = legend
    .map(
      ([label, color], i) =>
        `<g transform="translate(${M.left + i * 150},${H - 12})"><rect width="12" height="12" y="-10" fill="${color}"/><text x="16">${esc(label)}</text></g>`,
    )
    .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg id="${id}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg">${body}${items}</svg></figure>`;
}

function yAxis(
  max: number,
  min: number,
  y: (v: number) => number,
  ticks: number,
  format: (v: number) => string,
): string {
  let out = `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" class="axis"/>`;
  for (let i = 0; i <= ticks; i++) {
    const v = min + ((max - min) * i) / ticks;
    out += `<line x1="${M.left}" x2="${W - M.right}" y1="${num(y(v))}" y2="${num(y(v))}" class="grid"/><text x="${M.left - 6}" y="${num(y(v)) + 4}" text-anchor="end">${esc(format(v))}</text>`;
  }
  return out;
}

/** Grouped bars: weight bits (mean for kernel-wise) and input-activation bits per layer. */
function bitsChart(data: ReportData): string {
  const layers = data.table.layers;
  const meanW = (w: number | number[]) =>
    typeof w === 'number' ? w : w.reduce((s, b) => s + b, 0) / w.length;
  const max = 8;
  const y = (v: number) => H - M.bottom - (v / max) * (H - M.top - M.bottom);
  const slot = (W - M.left - M.right) / Math.max(1, layers.length);
  const bar = Math.min(28, slot / 2.6);
  let body = yAxis(max, 0, y, 4, (v) => String(v));
  layers.forEach((l, i) => {
    const x0 = M.left + i * slot + slot / 2 - bar;
    const w = meanW(l.wBits);
    body += `<rect class="bar-w" x="${num(x0)}" y="${num(y(w))}" width="${num(bar)}" height="${num(y(0) - y(w))}" fill="${COLORS.w}"><title>${esc(l.name)}: W ${esc(formatBits(l.wBits))}</title></rect>`;
    body += `<rect class="bar-a" x="${num(x0 + bar)}" y="${num(y(l.aBits))}" width="${num(bar)}" height="${num(y(0) - y(l.aBits))}" fill="${COLORS.a}"><title>${esc(l.name)}: A ${l.aBits}</title></rect>`;
    body += `<text x="${num(M.left + i * slot + slot / 2)}" y="${H - M.bottom + 14}" text-anchor="middle">${esc(l.name)}</text>`;
  });
  return frame('chart-bits', 'Bits per layer (weights; input activations)', body, [
    ['weight bits', COLORS.w],
    ['activation bits', COLORS.a],
  ]);
}

interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly [number, number][];
  readonly dashed?: boolean;
}

function lineChart(
  id: string,
  title: string,
  series: readonly Series[],
  xLabel: string,
  format: (v: number) => string,
  floor?: number,
): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0)
    return `<figure><figcaption>${esc(title)}</figcaption><p class="empty">no epochs recorded</p></figure>`;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  let yMin = floor ?? Math.min(...ys);
  let yMax = Math.max(...ys);
  if (yMax - yMin < 1e-9) {
    yMin -= 0.05 * Math.abs(yMin || 1);
    yMax += 0.05 * Math.abs(yMax || 1);
  }
  const pad = (yMax - yMin) * 0.08;
  yMax += pad;
  if (floor === undefined) yMin -= pad;
  const x = (v: number) => M.left + ((v - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - ((v - yMin) / (yMax - yMin)) * (H - M.top - M.bottom);
  let body = yAxis(yMax, yMin, y, 4, format);
  body += `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" class="axis"/>`;
  for (const v of [...new Set(xs)])
    body += `<text x="${num(x(v))}" y="${H - M.bottom + 14}" text-anchor="middle">${v}</text>`;
  body += `<text x="${(W + M.left) / 2}" y="${H - M.bottom + 30}" text-anchor="middle">${esc(xLabel)}</text>`;
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([px, py], i) => `${i ? 'L' : 'M'}${num(x(px))},${num(y(py))}`).join(' ');
    body += `<path class="line" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`;
    for (const [px, py] of s.points)
      body += `<circle cx="${num(x(px))}" cy="${num(y(py))}" r="3" fill="${s.color}"><title>${esc(s.label)} @ ${px}: ${esc(format(py))}</title></circle>`;
  }
  return frame(
    id,
    title,
    body,
    series.map((s) => [s.label, s.color] as [string, string]),
  );
}

function costChart(data: ReportData): string {
  const qat = data.history.qat.filter((p) => p.cost !== undefined && p.budget !== undefined);
  const unit = qat[0]?.unit ?? data.summary.cost.unit;
  const series: Series[] = [
    { label: `cost (${unit})`, color: COLORS.cost, points: qat.map((p) => [p.epoch + 1, p.cost!]) },
    { label: 'budget', color: COLORS.budget, points: qat.map((p) => [p.epoch + 1, p.budget!]), dashed: true },
  ];
  return lineChart(
    'chart-cost',
    `Cost vs budget per QAT epoch (${unit}; fractional while searching, integer after)`,
    series,
    'QAT epoch',
    (v) => v.toPrecision(4),
  );
}

function accuracyChart(data: ReportData): string {
  const pre = data.history.pretrain.filter((p) => p.testAccuracy !== undefined);
  const qat = data.history.qat.filter((p) => p.testAccuracy !== undefined);
  const offset = pre.length ? Math.max(...pre.map((p) => p.epoch + 1)) : 0;
  const series: Series[] = [
    {
      label: 'float pre-training',
      color: COLORS.pre,
      points: pre.map((p) => [p.epoch + 1, p.testAccuracy! * 100]),
    },
    {
      label: 'QAT (search, fine-tune)',
      color: COLORS.acc,
      points: qat.map((p) => [offset + p.epoch + 1, p.testAccuracy! * 100]),
    },
  ];
  return lineChart(
    'chart-accuracy',
    'Test accuracy per epoch (%)',
    series,
    'epoch (pre-training, then QAT)',
    (v) => v.toFixed(1),
  );
}

function htmlTable(data: ReportData): string {
  const head = `<tr>${TABLE_HEADER.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const rows = tableRows(data.table)
    .map(
      (r, i, all) =>
        `<tr${i === all.length - 1 ? ' class="total"' : ''}>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table id="layers">${head}${rows}</table>`;
}

/** The report as one HTML string. */
export function renderReport(data: ReportData): string {
  const s = data.summary;
  const facts: [string, string][] = [
    ['model', s.model],
    ['data', s.data],
    ['method', data.method === 'uniform' ? 'uniform-precision QAT' : `FracBits, ${s.granularity}-wise`],
    ['budget', s.budget],
    ['float accuracy', pct(s.accuracy.float)],
    ['final accuracy (integer model)', pct(s.accuracy.final)],
    ['cost', `${(s.cost.bitops * 1e3).toFixed(3)} MBitOps, ${(s.cost.sizeMB * 1e3).toFixed(2)} kB`],
    ['cost / budget', `${(100 * s.cost.ratio).toFixed(1)} % of ${budgetText(s.cost.budget, s.cost.unit)}`],
  ];
  if (data.discretisation) {
    const d = data.discretisation;
    facts.push([
      'discretisation',
      `offset ${d.offset.toFixed(3)}, ${d.moves} moves, ${d.inBand ? 'in the ±1 % band' : 'outside the band'}, fractional accuracy ${pct(d.fractionalAccuracy)}${d.roundedAccuracy !== undefined ? `, integer before fine-tuning ${pct(d.roundedAccuracy)}` : ''}`,
    ]);
  }
  if (s.pruned) facts.push(['pruned channels', formatPruned(s.pruned)]);
  for (const key of ['backend', 'adapter', 'seed'] as const)
    if (data.run[key] !== undefined) facts.push([key, String(data.run[key])]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(data.title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:960px;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:#555}dd{margin:0}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}
svg.chart text{font-size:11px;fill:#333}svg.chart .axis{stroke:#444}svg.chart .grid{stroke:#e6e6e6}
table{border-collapse:collapse}th,td{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:right}th:first-child,td:first-child{text-align:left}
tr.total td{font-weight:600;border-top:1px solid #999}pre{background:#f6f6f6;padding:1rem;overflow:auto}
</style></head><body>
<h1>${esc(data.title)}</h1>
<dl id="summary">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
<h2>Bits</h2>${bitsChart(data)}
<h2>Cost and accuracy over epochs</h2>${costChart(data)}${accuracyChart(data)}
<h2>Layers</h2>${htmlTable(data)}
<h2>Configuration</h2><pre id="config">${esc(JSON.stringify(data.config, null, 2))}</pre>
<h2>Run</h2><pre id="run">${esc(JSON.stringify(data.run, null, 2))}</pre>
</body></html>
`;
}
