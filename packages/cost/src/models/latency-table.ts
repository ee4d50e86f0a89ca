/**
 * Measured latency: a table of per-layer times at integer (weight, activation) bit pairs, as
 * `profileLayers` of @fracbits/packed (and `fracbits profile`) writes it, looked up per layer by
 * its shape and interpolated linearly between the measured bits, so the cost is smooth in
 * fractional bits with an exact gradient (the difference of the neighbouring measurements, as in
 * bitserial's interpolation).
 *
 * Layers are matched by a shape key (`latencyLayerKey`: kind, input and output shape, kernel,
 * stride, groups), so a table measured once serves every model with the same layer shapes.
 * Kernel-wise bits cost the mean over the channels of the layer's time at each channel's bits.
 * A layer whose input bits are pinned (core's first conv: the image is not quantized) uses the
 * table's float-input entries (`aBits: null`) when the table has them.
 */
import type { CostModel, LayerInfo } from '@fracbits/plugin-api';
import { type LayerCost, sumOverKernels, type Term } from '../kernels.js';
import { buildCostModel } from '../model.js';
import { TIME_UNITS } from '../roofline.js';
import { checkOptionKeys } from '../validate.js';

/** One measurement: `layer` is the layer's shape key (see latencyLayerKey). */
export interface LatencyTableEntry {
  readonly layer: string;
  readonly wBits: number;
  /** Bits of the quantized input, or null for a float (unquantized) input. */
  readonly aBits: number | null;
  /** Samples per measured run. */
  readonly batch: number;
  readonly ms: number;
}

/** The JSON table (other fields, such as `variant`, `timing` or `date`, are kept and ignored). */
export interface LatencyTable {
  readonly format?: 'fracbits-latency-table';
  readonly version?: number;
  /** The adapter the table was measured on. */
  readonly adapter?: string;
  readonly entries: readonly LatencyTableEntry[];
}

export interface LatencyTableOptions {
  /** The table, parsed (e.g. `JSON.parse` of the file `fracbits profile` writes). */
  readonly table: LatencyTable;
  /** Which batch's measurements to use (default: the table's only batch). */
  readonly batch?: number;
  /** Reporting unit: 'ms' (default), 'us', 's'. */
  readonly unit?: string;
}

type ShapeOfLayer = Pick<LayerInfo, 'kind' | 'inputShape' | 'outputShape' | 'kernel' | 'stride' | 'groups'>;

/**
 * The key a latency table names a layer shape by, e.g. 'conv 6x14x14->16x10x10 k5x5 s1x1 g1' or
 * 'linear 400->120' (per-sample shapes, no batch).
 */
export function latencyLayerKey(layer: ShapeOfLayer): string {
  const io = `${layer.inputShape.join('x')}->${layer.outputShape.join('x')}`;
  if (layer.kind === 'linear') return `linear ${io}`;
  return `conv ${io} k${layer.kernel.join('x')} s${layer.stride.join('x')} g${layer.groups}`;
}

function fail(who: string, what: string, got: unknown): never {
  throw new Error(`${who}: expected ${what}, got ${JSON.stringify(got)}`);
}

/** Checks a parsed table; throws naming the entry and field at fault. */
export function parseLatencyTable(json: unknown, who = 'latency'): LatencyTable {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(who, 'a table object', json);
  const t = json as Record<string, unknown>;
  if (t.format !== undefined && t.format !== 'fracbits-latency-table') {
    fail(`${who}: table.format`, "'fracbits-latency-table'", t.format);
  }
  if (!Array.isArray(t.entries) || t.entries.length === 0)
    fail(`${who}: table.entries`, 'a non-empty list', t.entries);
  const seen = new Set<string>();
  const entries = t.entries.map((e: unknown, i: number): LatencyTableEntry => {
    const at = `${who}: table.entries[${i}]`;
    if (typeof e !== 'object' || e === null) fail(at, 'an object', e);
    const { layer, wBits, aBits, batch, ms } = e as Record<string, unknown>;
    if (typeof layer !== 'string' || layer === '') fail(`${at}.layer`, 'a layer shape key', layer);
    if (!Number.isInteger(wBits) || (wBits as number) < 0) fail(`${at}.wBits`, 'an integer ≥ 0', wBits);
    if (aBits !== null && (!Number.isInteger(aBits) || (aBits as number) < 1)) {
      fail(`${at}.aBits`, 'an integer ≥ 1 or null (float input)', aBits);
    }
    if (!Number.isInteger(batch) || (batch as number) < 1) fail(`${at}.batch`, 'a positive integer', batch);
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) fail(`${at}.ms`, 'a time ≥ 0 in ms', ms);
    const key = `${layer}|${wBits}|${aBits}|${batch}`;
    if (seen.has(key)) {
      throw new Error(
        `${at}: a second entry for layer '${layer}' at W${wBits}A${aBits ?? 'float'}, batch ${batch}`,
      );
    }
    seen.add(key);
    return { layer, wBits: wBits as number, aBits: aBits as number | null, batch: batch as number, ms };
  });
  return { ...(t as object), entries } as LatencyTable;
}

/** Measurements of one layer shape: ms by (w, a) and by w for a float input. */
class ShapeTimes {
  readonly quantized = new Map<string, number>();
  readonly float = new Map<number, number>();

  add(e: LatencyTableEntry): void {
    if (e.aBits === null) this.float.set(e.wBits, e.ms);
    else this.quantized.set(`${e.wBits},${e.aBits}`, e.ms);
  }

  grid(which: 'w' | 'a', float: boolean): number[] {
    const values = float
      ? [...this.float.keys()]
      : [...this.quantized.keys()].map((k) => Number(k.split(',')[which === 'w' ? 0 : 1]));
    return [...new Set(values)].sort((x, y) => x - y);
  }
}

/**
 * The measured bits around `b`: lo < b ≤ hi (the segment below at a measured value, as the
 * integer interpolation of interpolate.ts), t = (b − lo)/(hi − lo).
 */
function bracket(
  grid: readonly number[],
  b: number,
  where: () => string,
): { lo: number; hi: number; t: number } {
  const first = grid[0];
  const last = grid[grid.length - 1];
  if (!(b >= first && b <= last)) {
    throw new Error(`${where()}: ${b} bits is outside the measured ${first}..${last}`);
  }
  if (grid.length === 1) return { lo: first, hi: first, t: 0 };
  let i = 0;
  while (i < grid.length - 2 && grid[i + 1] < b) i++;
  const lo = grid[i];
  const hi = grid[i + 1];
  return { lo, hi, t: (b - lo) / (hi - lo) };
}

/** The measured-latency cost model (see the module comment). */
export function latencyTableModel(options: LatencyTableOptions): CostModel {
  const who = 'latency';
  checkOptionKeys(who, options, ['table', 'batch', 'unit']);
  if (options?.table === undefined)
    throw new Error(`${who}: options.table is required (a latency table object)`);
  const table = parseLatencyTable(options.table, who);
  const batches = [...new Set(table.entries.map((e) => e.batch))].sort((a, b) => a - b);
  const batch = options.batch ?? (batches.length === 1 ? batches[0] : undefined);
  if (batch === undefined) {
    throw new Error(`${who}: the table has batches ${batches.join(', ')}; choose one with option batch`);
  }
  if (!batches.includes(batch)) {
    throw new Error(`${who}: the table has no entries at batch ${batch} (it has ${batches.join(', ')})`);
  }
  const shapes = new Map<string, ShapeTimes>();
  for (const e of table.entries) {
    if (e.batch !== batch) continue;
    const s = shapes.get(e.layer) ?? new ShapeTimes();
    s.add(e);
    shapes.set(e.layer, s);
  }

  /** Seconds of `layer` at (w, a), bilinear between the measured bits around them. */
  function time(layer: LayerInfo, times: ShapeTimes, float: boolean, w: number, a: number): Term {
    const at = () => `${who}: layer '${layer.name}' (${latencyLayerKey(layer)})`;
    const ms = (wb: number, ab: number) => {
      const v = float ? times.float.get(wb) : times.quantized.get(`${wb},${ab}`);
      if (v === undefined) {
        throw new Error(`${at()}: the table has no entry at W${wb}A${float ? 'float' : ab} (batch ${batch})`);
      }
      return v / 1000;
    };
    const bw = bracket(times.grid('w', float), w, () => `${at()}: weight bits`);
    if (float) {
      const [f0, f1] = [ms(bw.lo, 0), ms(bw.hi, 0)];
      return { value: f0 + bw.t * (f1 - f0), dw: bw.hi === bw.lo ? 0 : (f1 - f0) / (bw.hi - bw.lo), da: 0 };
    }
    const ba = bracket(times.grid('a', false), a, () => `${at()}: activation bits`);
    const f00 = ms(bw.lo, ba.lo);
    const f10 = ms(bw.hi, ba.lo);
    const f01 = ms(bw.lo, ba.hi);
    const f11 = ms(bw.hi, ba.hi);
    const { t: tw } = bw;
    const { t: ta } = ba;
    const sw = bw.hi === bw.lo ? 0 : 1 / (bw.hi - bw.lo);
    const sa = ba.hi === ba.lo ? 0 : 1 / (ba.hi - ba.lo);
    return {
      value: (1 - tw) * (1 - ta) * f00 + tw * (1 - ta) * f10 + (1 - tw) * ta * f01 + tw * ta * f11,
      dw: sw * ((1 - ta) * (f10 - f00) + ta * (f11 - f01)),
      da: sa * ((1 - tw) * (f01 - f00) + tw * (f11 - f10)),
    };
  }

  return buildCostModel({
    name: 'latency',
    description: `measured layer latency (table${table.adapter ? ` from ${table.adapter}` : ''}, batch ${batch}, ${shapes.size} layer shapes), linear between measured bits`,
    units: TIME_UNITS,
    unit: options.unit ?? 'ms',
    layerCost(layer, bits): LayerCost {
      const key = latencyLayerKey(layer);
      const times = shapes.get(key);
      if (!times) {
        throw new Error(
          `${who}: the table has no entry for layer '${layer.name}' (${key}); profile the model with fracbits profile`,
        );
      }
      const float = bits.aPinned && times.float.size > 0;
      return sumOverKernels(bits, 1 / layer.outChannels, (w, a) => time(layer, times, float, w, a));
    },
  });
}
