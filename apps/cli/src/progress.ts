/**
 * Progress display for long stages. On a TTY (stderr) it draws bars with ETA and live metrics; in
 * non-TTY output it prints one line per finished epoch; quiet (--json) prints nothing.
 */
import cliProgress from 'cli-progress';
import type { CliIo } from './io.js';

export interface StageProgress {
  update(done: number, metrics?: Record<string, string | number>): void;
  finish(summary?: string): void;
}

export class Progress {
  constructor(
    private readonly io: CliIo,
    private readonly quiet: boolean,
  ) {}

  /** A message line on stderr (suppressed when quiet). */
  note(text: string): void {
    if (!this.quiet) this.io.stderr(`${text}\n`);
  }

  /** Starts a bar for a stage of `total` units (batches). */
  stage(label: string, total: number): StageProgress {
    if (this.quiet) return { update() {}, finish() {} };
    const tty = this.io.tty;
    if (!tty) {
      return {
        update() {},
        finish: (summary) => this.io.stderr(`${label}${summary ? `  ${summary}` : ''}\n`),
      };
    }
    const bar = new cliProgress.SingleBar(
      {
        stream: tty,
        format: `${label.padEnd(16)} {bar} {percentage}% | {value}/{total} | ETA {eta_formatted} | {metrics}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { metrics: '' });
    const format = (m?: Record<string, string | number>) =>
      m
        ? Object.entries(m)
            .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`)
            .join('  ')
        : '';
    return {
      update: (done, metrics) => bar.update(done, metrics ? { metrics: format(metrics) } : undefined),
      finish: (summary) => {
        bar.update(total, summary ? { metrics: summary } : undefined);
        bar.stop();
      },
    };
  }
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 10 ? v.toFixed(2) : v.toFixed(4);
}
