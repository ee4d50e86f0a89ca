/**
 * What a finished run reports: the summary object (`fracbits search --json` prints exactly this),
 * the data behind the HTML report, and the terminal table printed at the end of a run.
 */
import type { CostTable } from './costs.js';

export interface RunSummary {
  readonly model: string;
  readonly data: string;
  /** The first budget as written, e.g. 'bitops=uniform:3@kappa=1@unit=MBitOps'. */
  readonly budget: string;
  readonly granularity: string;
  readonly accuracy: { readonly float: number; readonly final: number };
  readonly cost: {
    /** GBitOps and MB of the integer model. */
    readonly bitops: number;
    readonly sizeMB: number;
    /** The first budget's target, in `unit` (GBitOps for BitOps budgets, MB for size budgets). */
    readonly budget: number;
    /** Integer cost / budget under the first budget's cost model. */
    readonly ratio: number;
    readonly unit: string;
  };
  readonly bits: readonly {
    readonly layer: string;
    readonly w: number | readonly number[];
    readonly a: number;
  }[];
  /** With `prune`: 0-bit output channels per kernel-wise layer and what became of them. */
  readonly pruned?: readonly PrunedLayerSummary[];
  readonly runDir: string;
  /** Produced files by role (paths). */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * One layer's 0-bit output channels (indices in the unpruned layer): removed from the model, or
 * kept in it zeroed (e.g. a residual add whose branches disagree) with the reason.
 */
export interface PrunedLayerSummary {
  readonly layer: string;
  /** Output channels of the unpruned layer. */
  readonly of: number;
  readonly removed: readonly number[];
  readonly keptZeroed: readonly { readonly channels: readonly number[]; readonly reason: string }[];
}

/** 'conv2 11/16 removed, fc1 2/120 zeroed (residual branches disagree)' or 'none'. */
export function formatPruned(pruned: readonly PrunedLayerSummary[]): string {
  const parts = pruned.flatMap((p) => {
    const out: string[] = [];
    if (p.removed.length) out.push(`${p.layer} ${p.removed.length}/${p.of} removed`);
    for (const k of p.keptZeroed)
      out.push(`${p.layer} ${k.channels.length}/${p.of} kept zeroed (${k.reason})`);
    return out;
  });
  return parts.length ? parts.join(', ') : 'no channel reached 0 bits';
}

export interface EpochPoint {
  readonly stage: string;
  /** Epoch index in its schedule (pretrain, or QAT search + fine-tune). */
  readonly epoch: number;
  readonly loss: number;
  readonly testAccuracy?: number;
  /** Cost under the first budget's model (fractional while searching), its target and unit. */
  readonly cost?: number;
  readonly budget?: number;
  readonly unit?: string;
  readonly seconds: number;
}

export interface ReportData {
  readonly title: string;
  readonly method: string;
  readonly summary: RunSummary;
  readonly run: Readonly<Record<string, unknown>>;
  readonly config: unknown;
  readonly history: { readonly pretrain: readonly EpochPoint[]; readonly qat: readonly EpochPoint[] };
  readonly table: CostTable;
  readonly discretisation?: {
    readonly offset: number;
    readonly moves: number;
    readonly fractionalCost: number;
    readonly inBand: boolean;
    readonly fractionalAccuracy: number;
    /** Integer model right after rounding, before fine-tuning (absent in runs resumed from older checkpoints). */
    readonly roundedAccuracy?: number;
  };
}

/** Bits as printed: '4', or 'mean 3.4 (2–6)' for kernel-wise. */
export function formatBits(w: number | readonly number[]): string {
  if (typeof w === 'number') return String(w);
  if (w.length === 1) return String(w[0]);
  const mean = w.reduce((s, b) => s + b, 0) / w.length;
  return `${mean.toFixed(2)} (${Math.min(...w)}–${Math.max(...w)})`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

/** The per-layer table rows (shared by the terminal and the HTML report). */
export function tableRows(table: CostTable): string[][] {
  const totalSize = table.layers.reduce((s, l) => s + l.sizeBits, 0) || 1;
  const rows = table.layers.map((l) => [
    l.name,
    formatCount(l.macs),
    formatCount(l.params),
    formatBits(l.wBits),
    String(l.aBits),
    (l.bitops * 1e3).toFixed(3),
    `${((100 * l.sizeBits) / totalSize).toFixed(1)} %`,
  ]);
  rows.push([
    'total',
    formatCount(table.macs * 1e9),
    formatCount(table.params * 1e6),
    '',
    '',
    (table.bitops * 1e3).toFixed(3),
    '100 %',
  ]);
  return rows;
}

export const TABLE_HEADER = ['layer', 'MACs', 'params', 'W bits', 'A bits', 'MBitOps', 'size share'];

/** A plain-text table with right-aligned numeric columns. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The end-of-run summary printed on the terminal. */
export function formatSummary(data: ReportData, reportPath?: string): string {
  const s = data.summary;
  const lines = [
    textTable(TABLE_HEADER, tableRows(data.table)),
    '',
    `${s.model} on ${s.data}, ${data.method === 'uniform' ? 'uniform QAT' : `FracBits (${s.granularity}-wise)`}, budget ${s.budget}`,
    `accuracy: float ${pct(s.accuracy.float)} → final (integer model) ${pct(s.accuracy.final)}`,
    `cost: ${(s.cost.bitops * 1e3).toFixed(3)} MBitOps, ${(s.cost.sizeMB * 1e3).toFixed(2)} kB of weights; ` +
      `${budgetText(s.cost.ratio * s.cost.budget, s.cost.unit)} of ${budgetText(s.cost.budget, s.cost.unit)} = ${(100 * s.cost.ratio).toFixed(1)} % of the budget`,
  ];
  if (data.discretisation) {
    const d = data.discretisation;
    lines.push(
      `discretisation: offset ${d.offset.toFixed(3)}, ${d.moves} single-bit moves, ${d.inBand ? 'within ±1 %' : 'outside ±1 % (no single-bit move reached the band)'}; fractional model ${pct(d.fractionalAccuracy)} before rounding${d.roundedAccuracy !== undefined ? `, integer model ${pct(d.roundedAccuracy)} before fine-tuning` : ''}`,
    );
  }
  if (s.pruned) lines.push(`pruned channels: ${formatPruned(s.pruned)}`);
  lines.push(`run directory: ${s.runDir}`);
  if (reportPath) lines.push(`report: ${reportPath}`);
  return lines.join('\n');
}

/** A cost in a readable unit: GBitOps below 1 as MBitOps, MB below 1 as kB. */
export function budgetText(value: number, unit: string): string {
  if (unit === 'GBitOps' && value < 1) return `${fmt(value * 1e3)} MBitOps`;
  if (unit === 'MB' && value < 1) return `${fmt(value * 1e3)} kB`;
  return `${fmt(value)} ${unit}`;
}

function fmt(x: number): string {
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(3) : x.toPrecision(4);
}
