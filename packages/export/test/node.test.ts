import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx as importBytes } from '../src/import/import.js';
import { importOnnx, importOnnxFile, onnxFileImporter } from '../src/node.js';
import { checkModel } from '../src/proto/checker.js';
import { decodeModel, encodeModel } from '../src/proto/codec.js';
import { splitExternalData } from '../src/proto/external.js';
import { maxRelDiff, randomArray, runOurs } from './helpers.js';
import { cnnModel } from './models.js';
import { runOrtSingle } from './ort.js';

const dir = mkdtempSync(join(tmpdir(), 'fracbits-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** cnnModel with its larger initializers in `weights.bin` beside `model.onnx`, in a fresh folder. */
function writeExternal(name: string): { path: string; bytes: Uint8Array } {
  const folder = join(dir, name);
  mkdirSync(folder);
  const split = splitExternalData(decodeModel(cnnModel()), 'weights.bin', 64);
  expect(checkModel(split.model)).toEqual([]);
  const bytes = encodeModel(split.model);
  writeFileSync(join(folder, 'model.onnx'), bytes);
  writeFileSync(join(folder, 'weights.bin'), split.data);
  return { path: join(folder, 'model.onnx'), bytes };
}

describe('external data (Node entry)', () => {
  it('splitExternalData moves large initializers to one aligned file', () => {
    const split = splitExternalData(decodeModel(cnnModel()), 'weights.bin', 64);
    const moved = split.model.graph!.initializer!.filter((t) => t.data_location === 1);
    expect(moved.length).toBeGreaterThan(2);
    const offsets = moved.map((t) => Number(t.external_data!.find((e) => e.key === 'offset')!.value));
    expect(offsets.every((o) => o % 4096 === 0)).toBe(true);
    expect(() => splitExternalData(decodeModel(cnnModel()), '../up.bin')).toThrow(/relative path inside/);
  });

  it('importOnnxFile reads weights from the model folder and matches onnxruntime on the same file', async () => {
    const { path, bytes } = writeExternal('ok');
    const imported = importOnnxFile(path);
    const dims = [2, ...imported.inputShape];
    const input = randomArray(
      dims.reduce((a, b) => a * b, 1),
      21,
    );
    const ours = runOurs(imported.model, input, dims);
    const ort = await runOrtSingle(path, input, dims);
    expect(maxRelDiff(ours.data, ort.data)).toBeLessThan(1e-5);
    const viaBaseDir = importOnnx(bytes, { baseDir: join(dir, 'ok') });
    expect(runOurs(viaBaseDir.model, input, dims).data).toEqual(ours.data);
    const viaPlugin = await onnxFileImporter.import(bytes, { baseDir: join(dir, 'ok') });
    expect(viaPlugin.inputShape).toEqual(imported.inputShape);
  });

  it('errors name the tensor and the file; locations may not leave the folder', () => {
    const { path, bytes } = writeExternal('missing');
    rmSync(join(dir, 'missing', 'weights.bin'));
    expect(() => importOnnxFile(path)).toThrow(
      /importOnnx: node .*: tensor "c1.w": cannot read external data file "weights.bin"/,
    );
    expect(() => importBytes(bytes)).toThrow(
      /tensor "c1.w": data is stored in the external file "weights.bin"; pass externalData/,
    );
    const escaping = decodeModel(bytes);
    for (const t of escaping.graph!.initializer!) {
      for (const e of t.external_data ?? []) if (e.key === 'location') e.value = '../ok/weights.bin';
    }
    expect(() => importOnnx(encodeModel(escaping), { baseDir: join(dir, 'missing') })).toThrow(
      /external data location "..\/ok\/weights.bin" is outside the model's folder/,
    );
    expect(() => importOnnxFile(join(dir, 'nowhere.onnx'))).toThrow(/importOnnxFile: cannot read/);
  });
});
