/**
 * Measured layer latencies for a latency cost model: each conv/linear layer shape is run as a
 * one-layer packed model (quantize + im2col + low-bit GEMM, exactly what the runtime launches)
 * for every (weight bits, activation bits) pair, timed with timestamp queries when the device has
 * `timestamp-query` (else by wall clock around submit-and-wait), and collected in a JSON table.
 */

import { createGpuPlan, supportsDot4 } from './gpu.js';
import { buildPlan, compileModel, type LowbitVariant } from './plan.js';
import { readPackedModel } from './reader.js';
import { type LayerInput, writePackedModel } from './writer.js';

type Pair = number | readonly [number, number];

/** One layer shape to profile (per-sample input shape; batch default 1). */
export interface ProfileLayerSpec {
  readonly name: string;
  readonly op: 'conv' | 'linear';
  readonly inShape: readonly number[];
  /** Output channels (conv) or features (linear). */
  readonly out: number;
  readonly kernel?: Pair;
  readonly stride?: Pair;
  readonly padding?: Pair;
  readonly groups?: number;
  readonly batch?: number;
}

/** (weight bits 0..8, activation bits 1..8, or null for a float input). */
export type BitPair = readonly [number, number | null];

export interface ProfileEntry {
  readonly layer: string;
  readonly wBits: number;
  readonly aBits: number | null;
  readonly batch: number;
  /** Median milliseconds of the layer's launches. */
  readonly ms: number;
}

export interface ProfileTable {
  readonly format: 'fracbits-latency-table';
  readonly version: 1;
  readonly adapter: string;
  readonly variant: LowbitVariant;
  /** 'timestamp' (GPU timestamp queries around the pass) or 'wall' (submit to completion). */
  readonly timing: 'timestamp' | 'wall';
  readonly date: string;
  readonly entries: readonly ProfileEntry[];
}

export interface ProfileOptions {
  readonly variant?: LowbitVariant | 'auto';
  readonly wgslLanguageFeatures?: ReadonlySet<string>;
  /** Timed repetitions per entry (default 5; one warm-up run comes first). */
  readonly repeats?: number;
  /** A name for the adapter in the table (default: from `device.adapterInfo`). */
  readonly adapter?: string;
  readonly onEntry?: (entry: ProfileEntry) => void;
  /**
   * 'auto' (default): timestamps when the device has `timestamp-query`. Dawn quantizes
   * timestamps (65.536 µs steps on lavapipe unless its `timestamp_quantization` toggle is off),
   * so layers shorter than ~1 ms are better timed with 'wall' or at a larger batch.
   */
  readonly timing?: 'auto' | 'timestamp' | 'wall';
}

function oneLayer(spec: ProfileLayerSpec, wBits: number, aBits: number | null): Uint8Array {
  const inputs = spec.inShape.reduce((a, b) => a * b, 1);
  const k =
    spec.op === 'linear' ? inputs : (spec.inShape[0] / (spec.groups ?? 1)) * kernelArea(spec.kernel ?? 1);
  const common = {
    name: spec.name,
    weightBits: wBits,
    activation: aBits === null ? null : { bits: aBits, clip: 1 },
    // Codes only need the right size: latency does not depend on their values.
    codes: new Uint8Array(spec.out * k),
  };
  const layer: LayerInput =
    spec.op === 'linear'
      ? { ...common, op: 'linear', outFeatures: spec.out }
      : {
          ...common,
          op: 'conv',
          outChannels: spec.out,
          kernel: spec.kernel ?? 1,
          stride: spec.stride,
          padding: spec.padding,
          groups: spec.groups,
        };
  return writePackedModel({ input: { shape: spec.inShape }, layers: [layer] });
}

function kernelArea(k: Pair): number {
  return typeof k === 'number' ? k * k : k[0] * k[1];
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Times one GPU plan `repeats` times; milliseconds per run. */
async function timePlan(
  device: GPUDevice,
  encode: (pass: GPUComputePassEncoder) => void,
  repeats: number,
  timestamps: boolean,
): Promise<number> {
  const runs: number[] = [];
  const querySet = timestamps ? device.createQuerySet({ type: 'timestamp', count: 2 }) : null;
  // QUERY_RESOLVE | COPY_SRC, and MAP_READ | COPY_DST (numeric, as in gpu.ts: no globals needed)
  const resolve = timestamps ? device.createBuffer({ size: 16, usage: 0x0200 | 0x0004 }) : null;
  const read = timestamps ? device.createBuffer({ size: 16, usage: 0x0001 | 0x0008 }) : null;
  for (let i = 0; i <= repeats; i++) {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass(
      querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {},
    );
    encode(pass);
    pass.end();
    if (querySet && resolve && read) {
      encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 16);
    }
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const wall = performance.now() - t0;
    let ms = wall;
    if (read) {
      await read.mapAsync(0x0001);
      const [begin, end] = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      ms = Number(end - begin) / 1e6;
    }
    if (i > 0) runs.push(ms); // the first run is a warm-up
  }
  querySet?.destroy();
  resolve?.destroy();
  read?.destroy();
  return median(runs);
}

/**
 * Profiles every layer shape at every bit pair on `device` and returns the lookup table
 * (`JSON.stringify` it to save). Timestamp queries need a device created with the
 * `timestamp-query` feature; the Node entry's `createNodeDevice` requests it when available.
 */
export async function profileLayers(
  device: GPUDevice,
  shapes: readonly ProfileLayerSpec[],
  bitPairs: readonly BitPair[],
  options: ProfileOptions = {},
): Promise<ProfileTable> {
  const requested = options.variant ?? 'auto';
  const variant: LowbitVariant =
    requested === 'auto' ? (supportsDot4(options.wgslLanguageFeatures) ? 'dot4' : 'float') : requested;
  const repeats = options.repeats ?? 5;
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new Error(`profileLayers: repeats must be a positive integer, got ${repeats}`);
  const timing = options.timing ?? 'auto';
  const hasTimestamps = device.features.has('timestamp-query');
  if (timing === 'timestamp' && !hasTimestamps) {
    throw new Error(
      'profileLayers: timing "timestamp" needs a device created with the timestamp-query feature',
    );
  }
  const timestamps = timing === 'timestamp' || (timing === 'auto' && hasTimestamps);
  const entries: ProfileEntry[] = [];
  for (const spec of shapes) {
    const batch = spec.batch ?? 1;
    for (const [wBits, aBits] of bitPairs) {
      let file: Uint8Array;
      try {
        file = oneLayer(spec, wBits, aBits);
      } catch (err) {
        throw new Error(
          `profileLayers: layer "${spec.name}" at W${wBits}A${aBits ?? 'float'}: ${(err as Error).message}`,
        );
      }
      const plan = await createGpuPlan(
        device,
        buildPlan(compileModel(readPackedModel(file), variant), batch),
      );
      const ms = await timePlan(device, plan.encode, repeats, timestamps);
      plan.destroy();
      const entry = { layer: spec.name, wBits, aBits, batch, ms };
      entries.push(entry);
      options.onEntry?.(entry);
    }
  }
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const adapter =
    options.adapter ??
    ([info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown');
  return {
    format: 'fracbits-latency-table',
    version: 1,
    adapter,
    variant,
    timing: timestamps ? 'timestamp' : 'wall',
    date: new Date().toISOString(),
    entries,
  };
}

/** The measured latency of `layer` at (wBits, aBits), or undefined when the table lacks it. */
export function lookupLatency(
  table: ProfileTable,
  layer: string,
  wBits: number,
  aBits: number | null,
): number | undefined {
  return table.entries.find((e) => e.layer === layer && e.wBits === wBits && e.aBits === aBits)?.ms;
}
