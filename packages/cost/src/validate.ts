/** Input checks shared by every cost function: clear errors naming the function and the layer. */
import type { BitAssignment, LayerInfo } from '@fracbits/plugin-api';

function isCount(x: unknown, allowZero = true): x is number {
  return typeof x === 'number' && Number.isInteger(x) && (allowZero ? x >= 0 : x > 0);
}

function isBits(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

function checkLayer(who: string, layer: LayerInfo, i: number): void {
  const at = `${who}: layer ${i} ('${layer?.name}')`;
  if (typeof layer !== 'object' || layer === null) throw new Error(`${who}: layer ${i} is not an object`);
  if (layer.kind !== 'conv' && layer.kind !== 'linear') {
    throw new Error(`${at}: expected kind 'conv' or 'linear', got '${layer.kind}'`);
  }
  for (const key of ['inChannels', 'outChannels', 'groups'] as const) {
    if (!isCount(layer[key], false))
      throw new Error(`${at}: expected ${key} to be a positive integer, got ${layer[key]}`);
  }
  for (const key of ['macs', 'params'] as const) {
    if (!isCount(layer[key]))
      throw new Error(`${at}: expected ${key} to be a non-negative integer, got ${layer[key]}`);
  }
  for (const key of ['inputShape', 'outputShape'] as const) {
    const shape = layer[key];
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => isCount(d))) {
      throw new Error(
        `${at}: expected ${key} to be a non-empty list of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
  }
  for (const key of ['w', 'a'] as const) {
    const pinned = layer.pinned?.[key];
    if (pinned !== undefined && !isBits(pinned)) {
      throw new Error(`${at}: expected pinned.${key} to be a non-negative number of bits, got ${pinned}`);
    }
  }
}

function checkBits(who: string, layer: LayerInfo, bits: BitAssignment, i: number): void {
  const at = `${who}: layer ${i} ('${layer.name}')`;
  if (typeof bits !== 'object' || bits === null || !Array.isArray(bits.w)) {
    throw new Error(`${at}: expected bits { w: number[], a: number }, got ${JSON.stringify(bits)}`);
  }
  if (bits.w.length !== 1 && bits.w.length !== layer.outChannels) {
    throw new Error(
      `${at}: has ${layer.outChannels} output channels, so bits.w must have length 1 (layer-wise) or ` +
        `${layer.outChannels} (kernel-wise); got ${bits.w.length}`,
    );
  }
  bits.w.forEach((b, o) => {
    if (!isBits(b)) throw new Error(`${at}: expected bits.w[${o}] to be a finite number ≥ 0, got ${b}`);
  });
  if (!isBits(bits.a)) throw new Error(`${at}: expected bits.a to be a finite number ≥ 0, got ${bits.a}`);
}

/** Throws unless `layers` and `bits` are aligned, well-formed lists. */
export function checkInputs(who: string, layers: readonly LayerInfo[], bits: readonly BitAssignment[]): void {
  if (!Array.isArray(layers)) throw new Error(`${who}: expected layers to be an array, got ${typeof layers}`);
  if (!Array.isArray(bits)) throw new Error(`${who}: expected bits to be an array, got ${typeof bits}`);
  if (layers.length !== bits.length) {
    throw new Error(
      `${who}: expected one bit assignment per layer (${layers.length} layers), got ${bits.length}`,
    );
  }
  layers.forEach((layer, i) => {
    checkLayer(who, layer, i);
    checkBits(who, layer, bits[i], i);
  });
}

/** Throws on options a function does not know (catches typos such as `unti`). */
export function checkOptionKeys(who: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new Error(
      `${who}: expected options to be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new Error(`${who}: unknown option '${key}' (known: ${known.length ? known.join(', ') : 'none'})`);
    }
  }
}
