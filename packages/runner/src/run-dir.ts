/**
 * The run directory: resolved config, events.jsonl, checkpoints (atomic, every epoch), the final
 * model, bits.json, exports, report and run.json. Every JSON file is written atomically so an
 * interrupted run never leaves a half-written file behind.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { writeFileAtomic } from '@fracbits/nn/node';

/** File names inside a run directory. */
export const RUN_FILES = {
  config: 'config.json',
  run: 'run.json',
  events: 'events.jsonl',
  pretrainCheckpoint: 'checkpoints/pretrain.safetensors',
  qatCheckpoint: 'checkpoints/qat.safetensors',
  float: 'float.safetensors',
  model: 'model.safetensors',
  bits: 'bits.json',
  /** Pruning runs: the removed (0-bit) output channels per layer. */
  pruned: 'pruned.json',
  exports: 'exports',
  report: 'report.html',
  reportData: 'report.json',
  result: 'result.json',
} as const;

/** runs/<YYYYMMDD-HHMMSS>-<model> (local time), relative to the working directory. */
export function defaultRunDir(model: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const name = basename(model, extname(model)).replace(/[^A-Za-z0-9_.-]+/g, '_');
  return join('runs', `${stamp}-${name}`);
}

export class RunDirectory {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  has(name: string): boolean {
    return existsSync(this.path(name));
  }

  async writeJson(name: string, value: unknown): Promise<string> {
    const path = this.path(name);
    await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
    return path;
  }

  async writeFile(name: string, data: Uint8Array | string): Promise<string> {
    const path = this.path(name);
    await writeFileAtomic(path, typeof data === 'string' ? new TextEncoder().encode(data) : data);
    return path;
  }

  readJson<T>(name: string): T {
    const path = this.path(name);
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch (e) {
      throw new Error(`cannot read ${path}: ${(e as Error).message}`);
    }
  }

  /** One event per line; synchronous so the log is complete even when the process dies next. */
  appendEvent(event: unknown): void {
    appendFileSync(
      this.path(RUN_FILES.events),
      `${JSON.stringify({ time: new Date().toISOString(), ...(event as object) })}\n`,
    );
  }
}
