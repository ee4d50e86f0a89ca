/**
 * `fracbits eval --packed <file>`: the test accuracy of a packed low-bit model (.fbpk, from the
 * 'packed' exporter) on Fashion-MNIST, run by @fracbits/packed's WebGPU runtime or its CPU twin.
 *
 * The program's `eval` command evaluates a run directory with the training engine; this module is
 * its packed path: {@link addEvalPackedOptions} adds the flags and {@link evalPacked} runs it when
 * `--packed` is given (see run-dir-commands.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadFashionMnist } from '@fracbits/nn/node';
import {
  evaluateAccuracy,
  inferCpu,
  type LowbitVariant,
  type PackedModel,
  readPackedModel,
} from '@fracbits/packed';
import { loadPackedModelNode } from '@fracbits/packed/node';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { type CliIo, processIo } from '../io.js';
import { intFlag } from '../options.js';

export interface EvalPackedFlags {
  packed: string;
  /** Directory of the Fashion-MNIST IDX files (default: $FRACBITS_DATA_DIR, then Debian's). */
  data?: string;
  /** Evaluate the first N test images only. */
  limit?: number;
  backend: 'auto' | 'webgpu' | 'cpu';
  batchSize: number;
  json?: boolean;
}

export interface EvalPackedResult {
  readonly file: string;
  readonly backend: 'webgpu' | 'cpu';
  readonly variant: LowbitVariant;
  readonly accuracy: number;
  readonly correct: number;
  readonly count: number;
}

function readModel(path: string): PackedModel {
  if (!existsSync(path)) throw new UsageError(`--packed: no such file "${path}"`);
  try {
    return readPackedModel(new Uint8Array(readFileSync(path)));
  } catch (e) {
    throw new UsageError(`--packed: ${path} is not a valid packed model: ${(e as Error).message}`);
  }
}

/** Test images scaled to [0, 1] as the training DataLoader does, and their labels. */
function testSet(flags: EvalPackedFlags, model: PackedModel) {
  let test: ReturnType<typeof loadFashionMnist>['test'];
  try {
    test = loadFashionMnist(flags.data ? { dir: flags.data } : {}).test;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const expected = model.manifest.input.shape;
  if (expected.join('x') !== test.shape.join('x')) {
    throw new UsageError(
      `the packed model takes [${expected.join(', ')}] inputs but the Fashion-MNIST images are [${test.shape.join(', ')}]`,
    );
  }
  const count = Math.min(flags.limit ?? test.length, test.length);
  const per = test.shape[0] * test.shape[1] * test.shape[2];
  const images = new Float32Array(count * per);
  const scale = test.images instanceof Uint8Array ? 1 / 255 : 1;
  for (let i = 0; i < images.length; i++) images[i] = test.images[i] * scale;
  return { images, labels: test.labels.subarray(0, count), count };
}

/** Runs the evaluation; `io.stderr` gets progress, the result is returned (not printed). */
export async function evalPacked(flags: EvalPackedFlags, io: CliIo = processIo): Promise<EvalPackedResult> {
  if (flags.limit !== undefined && flags.limit < 1) throw new UsageError('--limit must be ≥ 1');
  if (!['auto', 'webgpu', 'cpu'].includes(flags.backend)) {
    throw new UsageError(`--backend: expected auto | webgpu | cpu, got "${flags.backend}"`);
  }
  const model = readModel(flags.packed);
  const { images, labels, count } = testSet(flags, model);
  const progress = (done: number, total: number) => {
    if (io.tty) io.stderr(`\r${done}/${total} images`);
  };
  const options = { batchSize: flags.batchSize, onProgress: progress };
  if (flags.backend !== 'cpu') {
    let gpu: Awaited<ReturnType<typeof loadPackedModelNode>> | null = null;
    try {
      gpu = await loadPackedModelNode(model);
    } catch (e) {
      if (flags.backend === 'webgpu') throw new Error(`--backend webgpu: ${(e as Error).message}`);
      io.stderr(`no WebGPU adapter (${(e as Error).message}); evaluating on the CPU\n`);
    }
    if (gpu) {
      try {
        const { accuracy, correct } = await evaluateAccuracy((b) => gpu.infer(b), images, labels, options);
        if (io.tty) io.stderr('\n');
        return { file: flags.packed, backend: 'webgpu', variant: gpu.variant, accuracy, correct, count };
      } finally {
        gpu.dispose();
      }
    }
  }
  const { accuracy, correct } = await evaluateAccuracy((b) => inferCpu(model, b), images, labels, options);
  if (io.tty) io.stderr('\n');
  return { file: flags.packed, backend: 'cpu', variant: 'dot4', accuracy, correct, count };
}

/** The options `eval --packed` needs, for adding them to an existing `eval` command. */
export function addEvalPackedOptions(command: Command): Command {
  return command
    .option('--packed <file>', 'a packed low-bit model (.fbpk) to evaluate with the packed runtime')
    .option(
      '--data <dir>',
      'Fashion-MNIST IDX directory (default: $FRACBITS_DATA_DIR, then /usr/share/datasets/fashion-mnist)',
    )
    .option('--limit <n>', 'evaluate the first N test images', intFlag('--limit', 1))
    .option('--batch-size <n>', 'images per inference call', intFlag('--batch-size', 1), 256);
}

/** One line, or the JSON object with --json. */
export function formatEvalPacked(r: EvalPackedResult, json: boolean): string {
  if (json) return `${JSON.stringify(r)}\n`;
  const runtime = r.backend === 'webgpu' ? `WebGPU, ${r.variant} kernels` : 'CPU twin';
  return `${r.file} (${runtime}): test accuracy ${(100 * r.accuracy).toFixed(2)} % on ${r.count} images (${r.correct} correct)\n`;
}
