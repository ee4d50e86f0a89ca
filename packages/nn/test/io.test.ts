import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, tensor } from '@fracbits/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BatchNorm2d,
  Conv2d,
  decodeCheckpoint,
  decodeSafetensors,
  encodeCheckpoint,
  encodeSafetensors,
  Linear,
  restoreCheckpoint,
  type SafeTensor,
  Sequential,
  SGD,
} from '../src/index.js';
import { loadCheckpoint, loadSafetensors, saveCheckpoint, saveSafetensors } from '../src/node.js';

const sample = (): Map<string, SafeTensor> =>
  new Map<string, SafeTensor>([
    ['w', { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, -0, 1e-30]) }],
    ['labels', { dtype: 'int32', shape: [3], data: Int32Array.from([-1, 0, 2147483647]) }],
    ['empty', { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) }],
    ['scalar', { dtype: 'float32', shape: [], data: Float32Array.from([7]) }],
  ]);

/** Rewrites the JSON header of a safetensors file (keeping the data) to craft broken files. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('writes the exact format: u64 LE header length, space-padded JSON, LE data', () => {
    const bytes = encodeSafetensors(sample(), { note: 'hi' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.__metadata__).toEqual({ note: 'hi' });
    expect(header.w).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.labels).toEqual({ dtype: 'I32', shape: [3], data_offsets: [24, 36] });
    expect(header.empty.data_offsets).toEqual([36, 36]);
    expect(bytes.length).toBe(8 + n + 40);
    // 1.5f = 0x3fc00000, little-endian.
    expect([...bytes.subarray(8 + n, 8 + n + 4)]).toEqual([0x00, 0x00, 0xc0, 0x3f]);
  });

  it('round-trips tensors and metadata bit-exactly', () => {
    const decoded = decodeSafetensors(encodeSafetensors(sample(), { a: '1', b: '{"x":2}' }));
    expect(decoded.metadata).toEqual({ a: '1', b: '{"x":2}' });
    for (const [name, t] of sample()) {
      const got = decoded.tensors.get(name)!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(Object.is(got.data[4], t.data[4])).toBe(true);
      expect([...got.data]).toEqual([...t.data]);
    }
  });

  it('rejects truncated and corrupted files with clear errors', () => {
    const good = encodeSafetensors(sample());
    expect(() => decodeSafetensors(good.slice(0, 5))).toThrow(/too short for the 8-byte header length/);
    expect(() => decodeSafetensors(good.slice(0, 40))).toThrow(
      /does not fit in a file of 40 bytes \(truncated file\?\)/,
    );
    expect(() => decodeSafetensors(good.slice(0, good.length - 4))).toThrow(
      /"scalar" ends at byte 40 of a 36-byte data section/,
    );
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 60n, true);
    expect(() => decodeSafetensors(huge)).toThrow(/header length \d+ is implausible/);
    const garbage = good.slice();
    garbage[9] = 0x7b; // breaks the JSON
    garbage[10] = 0x7b;
    expect(() => decodeSafetensors(garbage)).toThrow(/header is not valid UTF-8 JSON/);
    expect(() =>
      decodeSafetensors(withHeader(good, (h) => Object.assign(h.w as object, { dtype: 'BF16' }))),
    ).toThrow(/"w" has dtype BF16; supported: F32, I32, U32/);
    expect(() =>
      decodeSafetensors(withHeader(good, (h) => Object.assign(h.w as object, { shape: [2, 2] }))),
    ).toThrow(/"w" \[2, 2\] F32 needs 16 bytes, data_offsets give 24/);
    expect(() =>
      decodeSafetensors(
        withHeader(good, (h) => Object.assign(h.labels as object, { data_offsets: [20, 32] })),
      ),
    ).toThrow(/"labels" starts at byte 20, expected 24 \(overlapping or missing data\)/);
    expect(() =>
      decodeSafetensors(withHeader(good, (h) => Object.assign(h, { __metadata__: { a: 1 } }))),
    ).toThrow(/__metadata__ "a" is not a string/);
    const trailing = new Uint8Array(good.length + 4);
    trailing.set(good);
    expect(() => decodeSafetensors(trailing)).toThrow(/4 bytes not owned by any tensor/);
    expect(() =>
      encodeSafetensors({ x: { dtype: 'float32', shape: [3], data: new Float32Array(2) } }),
    ).toThrow(/"x" has 2 values for shape \[3\]/);
  });
});

function tinyModel(seed: number) {
  const rng = new Rng(seed);
  return new Sequential(new Conv2d(2, 3, 3, { rng }), new BatchNorm2d(3), new Linear(4, 2, { rng }));
}

describe('checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fracbits-nn-ckpt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function trainedPair() {
    const model = tinyModel(1);
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    for (const p of model.parameters())
      p.grad = tensor(
        Float32Array.from({ length: p.size }, (_, i) => Math.sin(i + p.size)),
        p.shape,
      );
    opt.step();
    opt.zeroGrad();
    return { model, opt };
  }

  it('round-trips model state, optimizer state and metadata', async () => {
    const { model, opt } = await trainedPair();
    model
      .stateDict()
      .get('1.running_mean')!
      .assign(tensor([1, 2, 3]));
    const bytes = await encodeCheckpoint({
      model,
      optimizer: opt,
      metadata: { epoch: 3, rng: { s: [1, 2, 3, 4] } },
    });
    const decoded = decodeCheckpoint(bytes);
    expect([...decoded.model.keys()]).toEqual([...model.stateDict().keys()]);
    expect(decoded.optimizer!.meta.type).toBe('sgd');

    const other = tinyModel(2);
    const otherOpt = new SGD(other.parameters(), { lr: 0.5, momentum: 0.9 });
    const meta = restoreCheckpoint(bytes, { model: other, optimizer: otherOpt });
    expect(meta).toEqual({ epoch: 3, rng: { s: [1, 2, 3, 4] } });
    for (const [k, t] of model.stateDict())
      expect([...other.stateDict().get(k)!.dataSync()]).toEqual([...t.dataSync()]);
    expect(otherOpt.stepCount).toBe(1);
    expect(otherOpt.lr).toBe(0.1);
    for (const [k, t] of opt.state().tensors)
      expect([...otherOpt.state().tensors.get(k)!.dataSync()]).toEqual([...t.dataSync()]);
  });

  it('rejects checkpoints that do not fit the model or are not checkpoints', async () => {
    const { model } = await trainedPair();
    const bytes = await encodeCheckpoint({ model });
    const bigger = new Sequential(new Conv2d(2, 3, 3), new BatchNorm2d(3), new Linear(4, 3));
    expect(() => restoreCheckpoint(bytes, { model: bigger })).toThrow(
      /"2.weight" expects \[3, 4\] float32, got \[2, 4\] float32/,
    );
    expect(() =>
      restoreCheckpoint(bytes, { model: tinyModel(3), optimizer: new SGD(model.parameters(), { lr: 1 }) }),
    ).toThrow(/holds no optimizer state/);
    expect(() => decodeCheckpoint(encodeSafetensors(new Map()))).toThrow(/not a fracbits-checkpoint file/);
  });

  it('saves atomically and loads from files; corrupted files give errors naming the path', async () => {
    const { model, opt } = await trainedPair();
    const path = join(dir, 'nested', 'ckpt.safetensors');
    await saveCheckpoint(path, { model, optimizer: opt, metadata: { step: 1 } });
    await saveCheckpoint(path, { model, optimizer: opt, metadata: { step: 2 } });
    expect(readdirSync(join(dir, 'nested'))).toEqual(['ckpt.safetensors']); // no temp files left
    const other = tinyModel(5);
    expect(await loadCheckpoint(path, { model: other })).toEqual({ step: 2 });
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 10));
    await expect(loadCheckpoint(path, { model: other })).rejects.toThrow(
      /ckpt.safetensors: decodeSafetensors: .*truncated/,
    );
    await expect(loadCheckpoint(join(dir, 'missing'), { model: other })).rejects.toThrow(
      /cannot read .*missing \(ENOENT\)/,
    );

    const st = join(dir, 'plain.safetensors');
    await saveSafetensors(st, sample(), { k: 'v' });
    const back = await loadSafetensors(st);
    expect(back.metadata).toEqual({ k: 'v' });
    expect([...back.tensors.get('labels')!.data]).toEqual([-1, 0, 2147483647]);
  });
});
