/**
 * Device profiles for the roofline model: plain JSON (see README "Device profiles"). The built-in
 * ones are bundled so that loading by name works in browsers too; loading from a file path is in
 * the Node-only './node' entry.
 */
import bitfusion from './profiles/bitfusion.json' with { type: 'json' };
import gpuTensorcore from './profiles/gpu-tensorcore.json' with { type: 'json' };
import mobileNpu from './profiles/mobile-npu.json' with { type: 'json' };

/** A device for the roofline model. */
export interface DeviceProfile {
  readonly name: string;
  readonly description?: string;
  /** Where the numbers come from. */
  readonly source?: string;
  /**
   * Peak throughput in tera-ops per second (one MAC = 2 ops) per supported bit-width pair, keyed
   * "WxA" (weight bits × activation bits), e.g. { "4x4": 8, "8x8": 4 }.
   */
  readonly peakTops: Readonly<Record<string, number>>;
  /** Memory bandwidth in GB/s (1e9 bytes per second). */
  readonly bandwidthGBps: number;
  /** Bits of each output activation written to memory (default 8). */
  readonly outputBits?: number;
}

const PAIR = /^(\d+)x(\d+)$/;

function fail(source: string, message: string): never {
  throw new Error(`device profile ${source}: ${message}`);
}

function isPositive(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

/** Validates parsed JSON as a device profile; `source` names it in errors (a name or a path). */
export function parseDeviceProfile(json: unknown, source: string): DeviceProfile {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail(source, 'expected a JSON object');
  const p = json as Record<string, unknown>;
  if (typeof p.name !== 'string' || p.name === '') fail(source, `expected "name" to be a non-empty string`);
  for (const key of ['description', 'source'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'string') fail(source, `expected "${key}" to be a string`);
  }
  if (!isPositive(p.bandwidthGBps)) {
    fail(source, `expected "bandwidthGBps" to be a positive number, got ${JSON.stringify(p.bandwidthGBps)}`);
  }
  if (p.outputBits !== undefined && !(typeof p.outputBits === 'number' && p.outputBits >= 0)) {
    fail(source, `expected "outputBits" to be a non-negative number, got ${JSON.stringify(p.outputBits)}`);
  }
  const peaks = p.peakTops;
  if (
    typeof peaks !== 'object' ||
    peaks === null ||
    Array.isArray(peaks) ||
    Object.keys(peaks).length === 0
  ) {
    fail(source, 'expected "peakTops" to be an object such as { "4x4": 8, "8x8": 4 }');
  }
  for (const [key, value] of Object.entries(peaks)) {
    const match = PAIR.exec(key);
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
      fail(source, `peakTops key "${key}" is not a bit-width pair "WxA" such as "4x8"`);
    }
    if (!isPositive(value))
      fail(source, `peakTops["${key}"] must be a positive number, got ${JSON.stringify(value)}`);
  }
  const known = ['name', 'description', 'source', 'peakTops', 'bandwidthGBps', 'outputBits'];
  for (const key of Object.keys(p)) {
    if (!known.includes(key)) fail(source, `unknown field "${key}" (known: ${known.join(', ')})`);
  }
  return p as unknown as DeviceProfile;
}

const BUILT_IN: ReadonlyMap<string, DeviceProfile> = new Map(
  [bitfusion, mobileNpu, gpuTensorcore].map((json) => {
    const profile = parseDeviceProfile(json, `"${json.name}"`);
    return [profile.name, profile];
  }),
);

/** Names of the bundled device profiles. */
export function listProfiles(): string[] {
  return [...BUILT_IN.keys()];
}

/** A bundled device profile by name. */
export function getProfile(name: string): DeviceProfile {
  const profile = BUILT_IN.get(name);
  if (!profile) {
    throw new Error(
      `unknown device profile "${name}" (built-in: ${listProfiles().join(', ')}; ` +
        `load a JSON file with loadProfile from '@fracbits/cost/node')`,
    );
  }
  return profile;
}

/** Parsed "WxA" pairs of a profile with their seconds per op. */
export interface PeakTable {
  readonly profile: DeviceProfile;
  readonly pairs: ReadonlyArray<{ readonly w: number; readonly a: number; readonly secondsPerOp: number }>;
}

export function peakTable(profile: DeviceProfile): PeakTable {
  const pairs = Object.entries(profile.peakTops).map(([key, tops]) => {
    const [, w, a] = PAIR.exec(key)!;
    return { w: Number(w), a: Number(a), secondsPerOp: 1 / (tops * 1e12) };
  });
  return { profile, pairs };
}

/**
 * Seconds per op at integer bits (w, a): the listed pair, else the fastest listed pair at least as
 * wide in both (a W3A5 op runs on a W4A8 or W8A8 unit); 0 when either width is 0 (nothing to
 * compute: a pruned channel or a zero input).
 */
export function secondsPerOp(table: PeakTable, w: number, a: number): number {
  if (w === 0 || a === 0) return 0;
  let best = Number.POSITIVE_INFINITY;
  for (const pair of table.pairs) {
    if (pair.w >= w && pair.a >= a) best = Math.min(best, pair.secondsPerOp);
  }
  if (best === Number.POSITIVE_INFINITY) {
    throw new Error(
      `roofline: device profile "${table.profile.name}" supports no bit-width pair covering W${w}A${a} ` +
        `(supported: ${Object.keys(table.profile.peakTops).join(', ')})`,
    );
  }
  return best;
}
