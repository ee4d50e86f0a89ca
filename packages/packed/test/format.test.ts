import { describe, expect, it } from 'vitest';
import { crc32 } from '../src/crc32.js';
import {
  BLOB_ALIGN,
  HEADER_BYTES,
  PackedFormatError,
  packedSizeStats,
  readPackedModel,
  weightCodes,
  weightValue,
  writePackedModel,
} from '../src/index.js';
import { lenet5, residualNet, smallCnn } from './models.js';

/** Codes of the row starting at bit `start`, read bit by bit (independent of the library). */
function unpackRow(words: Uint32Array, start: number, k: number, bits: number): number[] {
  return Array.from({ length: k }, (_, j) => {
    let code = 0;
    for (let i = 0; i < bits; i++) {
      const bit = start + j * bits + i;
      code += ((words[Math.floor(bit / 32)] >>> (bit % 32)) & 1) * 2 ** i;
    }
    return code;
  });
}

const manifestOf = (file: Uint8Array) => {
  const length = new DataView(file.buffer, file.byteOffset).getUint32(8, true);
  return JSON.parse(new TextDecoder().decode(file.subarray(HEADER_BYTES, HEADER_BYTES + length)));
};

/** Re-serialises `file` with a modified manifest (same data section) and a valid checksum. */
// biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary manifest fields
type Json = any;

function withManifest(file: Uint8Array, edit: (m: Json) => void): Uint8Array {
  const oldLength = new DataView(file.buffer, file.byteOffset).getUint32(8, true);
  const data = file.subarray(Math.ceil((HEADER_BYTES + oldLength) / 16) * 16);
  const m = manifestOf(file);
  edit(m);
  const json = new TextEncoder().encode(JSON.stringify(m));
  const start = Math.ceil((HEADER_BYTES + json.length) / 16) * 16;
  const out = new Uint8Array(start + data.length);
  out.set(file.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, HEADER_BYTES);
  out.set(data, start);
  new DataView(out.buffer).setUint32(12, crc32(out.subarray(HEADER_BYTES)), true);
  return out;
}

/** Replaces the checksum after editing bytes, so the structural checks are reached. */
function resealed(file: Uint8Array): Uint8Array {
  const out = file.slice();
  new DataView(out.buffer).setUint32(12, crc32(out.subarray(HEADER_BYTES)), true);
  return out;
}

function expectReadError(file: Uint8Array, pattern?: RegExp) {
  let error: unknown;
  try {
    readPackedModel(file);
  } catch (err) {
    error = err;
  }
  expect(error, 'the read must fail').toBeInstanceOf(Error);
  expect(error).toBeInstanceOf(PackedFormatError);
  expect((error as Error).message).toMatch(/^readPackedModel: /);
  if (pattern) expect((error as Error).message).toMatch(pattern);
}

describe('packed format: write and read back', () => {
  for (const [name, spec] of [
    ['small CNN', smallCnn()],
    ['residual net (bn, depthwise, add, avg pool)', residualNet()],
    ['LeNet-5, mixed bits', lenet5('mixed')],
  ] as const) {
    it(`${name}: manifest, codes, scales and biases survive the round trip`, () => {
      const file = writePackedModel(spec);
      const model = readPackedModel(file);
      expect(model.byteLength).toBe(file.length);
      expect(model.manifest.layers.map((l) => l.name)).toEqual(spec.layers.map((l) => l.name));
      for (const layer of spec.layers) {
        if (layer.op !== 'conv' && layer.op !== 'linear') continue;
        const data = model.weights.get(layer.name)!;
        const m = model.manifest.layers.find((l) => l.name === layer.name)!;
        if (m.op !== 'conv' && m.op !== 'linear') throw new Error('unreachable');
        const channels = m.weightBits.length;
        expect(data.k * channels).toBe(layer.codes.length);
        let start = 0;
        for (let o = 0; o < channels; o++) {
          expect(unpackRow(data.words, start, data.k, m.weightBits[o])).toEqual(
            Array.from(layer.codes).slice(o * data.k, (o + 1) * data.k),
          );
          expect(data.rowInfo[2 * o]).toBe(start);
          start += data.k * m.weightBits[o];
        }
        // One continuous bitstream: no padding but the last word's.
        expect(data.words.length).toBe(Math.ceil(start / 32));
        if (layer.bias) expect(Array.from(data.bias!)).toEqual(Array.from(Float32Array.from(layer.bias)));
        else expect(data.bias).toBeNull();
      }
    });
  }

  it('aligns the data section and every blob to 16 bytes', () => {
    const file = writePackedModel(residualNet());
    const m = manifestOf(file);
    const length = new DataView(file.buffer).getUint32(8, true);
    expect((HEADER_BYTES + length + 15) & ~15).toBeGreaterThanOrEqual(HEADER_BYTES + length);
    const refs = m.layers.flatMap((l: Json) => [l.weights, l.scales, l.bias, l.params].filter(Boolean));
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) expect(ref.offset % BLOB_ALIGN).toBe(0);
  });

  it('omits 0-bit channels (no words) and keeps the other rows packed back to back', () => {
    const spec = smallCnn();
    const model = readPackedModel(writePackedModel(spec));
    const fc1 = model.manifest.layers.find((l) => l.name === 'fc1');
    if (fc1?.op !== 'linear') throw new Error('fc1 missing');
    const expected = fc1.weightBits.reduce((a, b) => a + b, 0); // 32 taps × b bits = b words
    expect(fc1.weightBits).toContain(0);
    expect(model.weights.get('fc1')!.words.length).toBe(expected);
  });

  for (const bits of [2, 3, 4, 'mixed'] as const) {
    it(`LeNet-5 at ${bits} bits: weight bytes within 2 % of Σ params·bits/8 plus the scales`, () => {
      const stats = packedSizeStats(readPackedModel(writePackedModel(lenet5(bits))));
      expect(stats.params).toBe(150 + 2400 + 48000 + 10080 + 840);
      expect(stats.scaleBytes).toBe(4 * (6 + 16 + 120 + 84 + 10));
      const ideal = stats.idealWeightBytes + stats.scaleBytes;
      expect(stats.weightBytes + stats.scaleBytes).toBeLessThanOrEqual(1.02 * ideal);
      // Header, manifest and blob alignment: a few kB for LeNet-5 (the manifest lists every bit-width).
      expect(stats.overheadBytes).toBeLessThan(4096);
    });
  }

  it('converts DoReFa-grid weights to codes and back', () => {
    const bits = [1, 3, 0, 8];
    const k = 5;
    const scales = [1, 0.5, 1, 2];
    const codes = Uint8Array.from(
      { length: bits.length * k },
      (_, i) => (i * 7) % 2 ** bits[Math.floor(i / k)],
    );
    const weights = Array.from(codes, (c, i) =>
      weightValue(c, bits[Math.floor(i / k)], scales[Math.floor(i / k)]),
    );
    expect(Array.from(weightCodes(weights, k, bits, scales))).toEqual(Array.from(codes));
    expect(weightValue(0, 2)).toBe(-1);
    expect(weightValue(3, 2)).toBe(1);
    expect(weightValue(1, 2)).toBeCloseTo(-1 / 3);
  });

  it('rejects bad writer input with the layer named', () => {
    const spec = smallCnn();
    const bad = (edit: (l: Json) => void, pattern: RegExp) => {
      const layers = spec.layers.map((l) => ({ ...l }));
      edit(layers);
      expect(() => writePackedModel({ ...spec, layers })).toThrow(pattern);
    };
    bad(
      (l) => (l[3].weightBits = 9),
      /writePackedModel: layer "conv2" channel 0: bit-width must be an integer in \[0, 8\], got 9/,
    );
    bad((l) => (l[3].codes = new Uint8Array(5)), /layer "conv2": expected 8×36 = 288 codes, got 5/);
    bad(
      (l) => (l[0].codes = new Array(100).fill(256)),
      /layer "conv1": code \[0, 0\] = 256 is not a 8-bit code/,
    );
    bad(
      (l) => (l[7].codes = new Uint8Array(24 * 32).fill(255)),
      /layer "fc1": code \[\d+, 0\] = 255 is not a \d-bit code/,
    );
    bad((l) => (l[3].inputs = ['fc2']), /layer "conv2" reads "fc2", which is not an earlier layer/);
    bad(
      (l) => (l[3].kernel = 9),
      /writePackedModel: layers\[3\] \("conv2"\)\.kernel: expected a window that fits the 6×6 input/,
    );
    bad((l) => (l[3].bias = [1, 2]), /layer "conv2" bias: expected 8 values, got 2/);
  });
});

describe('packed format: corrupted and truncated files', () => {
  const file = writePackedModel(smallCnn());
  const manifestLength = new DataView(file.buffer).getUint32(8, true);

  it('rejects a truncation at every byte with a clear error', () => {
    for (let cut = 0; cut < file.length; cut++) expectReadError(file.subarray(0, cut));
    expectReadError(file.subarray(0, 10), /shorter than the 16-byte header/);
    expectReadError(file.subarray(0, HEADER_BYTES + 5), /manifest of \d+ bytes does not fit/);
    expectReadError(file.subarray(0, file.length - 3), /past the end of the \d+-byte file \(truncated\?\)/);
  });

  it('rejects every flipped byte of the header and the manifest', () => {
    for (let i = 0; i < HEADER_BYTES + manifestLength; i++) {
      for (const flip of [0xff, 0x01, 0x20]) {
        const bad = file.slice();
        bad[i] ^= flip;
        expectReadError(bad);
      }
    }
  });

  it('rejects flipped bytes in the blobs (checksum)', () => {
    for (let i = HEADER_BYTES + manifestLength; i < file.length; i += 7) {
      const bad = file.slice();
      bad[i] ^= 0x10;
      expectReadError(bad, /checksum mismatch|past the end|truncated/);
    }
  });

  it('names what is wrong in the header', () => {
    const bad = file.slice();
    bad[0] = 0x58;
    expectReadError(bad, /not a packed model: magic is "XBPK", expected "FBPK"/);
    const v2 = file.slice();
    new DataView(v2.buffer).setUint32(4, 2, true);
    expectReadError(v2, /unsupported format version 2 \(this reader reads version 1\)/);
    const sum = file.slice();
    sum[12] ^= 1;
    expectReadError(sum, /checksum mismatch/);
  });

  it('validates the manifest even when the checksum matches', () => {
    const cases: [(m: Json) => void, RegExp][] = [
      [(m) => (m.format = 'onnx'), /manifest\.format: expected "fracbits-packed", got "onnx"/],
      [
        (m) => (m.layers[3].weightBits[2] = 9),
        /manifest\.layers\[3\]\.weightBits\[2\]: expected an integer in \[0, 8\], got 9/,
      ],
      [(m) => (m.layers[3].weightBits[2] = -1), /weightBits\[2\]: expected an integer in \[0, 8\], got -1/],
      [(m) => (m.layers[3].weights.offset += 4), /layer "conv2" weights: offset \d+ is not a multiple of 16/],
      [
        (m) => (m.layers[3].weights.offset = 1 << 20),
        /layer "conv2" weights: bytes \[\d+, \d+\) lie past the end/,
      ],
      [
        (m) => (m.layers[3].weights.length -= 4),
        /layer "conv2" weights: expected \d+ bytes, the manifest says \d+/,
      ],
      [(m) => (m.layers[3].scales.offset = m.layers[3].weights.offset), /overlaps/],
      [
        (m) => (m.layers[3].outShape = [8, 5, 5]),
        /manifest\.layers\[3\]\.outShape: expected \[8, 4, 4\], got \[8, 5, 5\]/,
      ],
      [(m) => (m.layers[3].inChannels = 3), /manifest\.layers\[3\]\.inChannels: expected 4/],
      [(m) => (m.layers[3].inShape = [4, 6, 7]), /manifest\.layers\[3\]\.inShape: expected \[4, 6, 6\]/],
      [(m) => (m.layers[7].inFeatures = 31), /inFeatures: expected 32/],
      [(m) => (m.layers[1].op = 'gelu'), /manifest\.layers\[1\]\.op: expected one of "conv", "linear"/],
      [(m) => delete m.layers[3].groups, /manifest\.layers\[3\]: missing field "groups"/],
      [(m) => (m.layers[3].extra = 1), /manifest\.layers\[3\]: unknown field "extra"/],
      [(m) => (m.layers[4].name = 'conv1'), /manifest\.layers\[4\]\.name: expected a name not used before/],
      [
        (m) => (m.layers[3].inputs = ['relu2']),
        /manifest\.layers\[3\]\.inputs\[0\]: expected the name of an earlier layer or "input", got "relu2"/,
      ],
      [(m) => (m.output = 'nope'), /manifest\.output: expected the name of a layer, got "nope"/],
      [(m) => (m.layers[3].activation.bits = 0), /activation\.bits: expected an integer in \[1, 8\], got 0/],
      [
        (m) => (m.layers[3].activation.clip = -1),
        /activation\.clip: expected a positive finite number, got -1/,
      ],
      [
        (m) => (m.layers[3].weightBits = m.layers[3].weightBits.slice(1)),
        /weightBits: expected 8 bit-widths/,
      ],
      [
        (m) => (m.input.shape = [1, 1e9, 1]),
        /manifest\.input\.shape\[1\]: expected an integer in \[1, 67108864\]/,
      ],
      [(m) => (m.layers = []), /manifest\.layers: expected at least one layer/],
      [(m) => (m.layers[3].groups = 3), /groups: expected a divisor/],
    ];
    for (const [edit, pattern] of cases) expectReadError(withManifest(file, edit), pattern);
  });

  it('rejects a manifest that is not JSON', () => {
    const bad = file.slice();
    bad[HEADER_BYTES] = 0x5b; // '[' : the JSON no longer parses as an object
    expectReadError(resealed(bad), /manifest is not valid UTF-8 JSON|manifest: expected an object/);
  });

  it('rejects non-finite scales and negative BN variances', () => {
    const res = writePackedModel(residualNet());
    const m = manifestOf(res);
    const start = Math.ceil((HEADER_BYTES + new DataView(res.buffer).getUint32(8, true)) / 16) * 16;
    const scales = res.slice();
    new DataView(scales.buffer).setFloat32(start + m.layers[0].scales.offset + 4, Number.NaN, true);
    expectReadError(resealed(scales), /layer "conv" scales\[1\] is NaN, expected a finite number/);
    const variance = res.slice();
    new DataView(variance.buffer).setFloat32(start + m.layers[1].params.offset + 4 * (3 * 6 + 2), -1, true);
    expectReadError(resealed(variance), /layer "bn" variance\[2\] is negative/);
  });
});
