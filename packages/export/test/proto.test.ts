import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ONNX_PROTO_SOURCE } from '../src/generated/schema.js';
import { attr, GraphBuilder } from '../src/proto/builder.js';
import { assertValidModel, checkModel } from '../src/proto/checker.js';
import { decodeModel, encodeModel } from '../src/proto/codec.js';
import { makeTensor, packInt4, readTensor, unpackInt4 } from '../src/proto/tensor-data.js';
import { DataType } from '../src/proto/types.js';
import { runOrtSingle } from './ort.js';

describe('schema', () => {
  it('the generated schema module embeds schema/onnx.proto exactly', () => {
    const file = readFileSync(new URL('../schema/onnx.proto', import.meta.url), 'utf8');
    expect(ONNX_PROTO_SOURCE).toBe(file);
  });
});

describe('int4 packing', () => {
  it('packs the first element into the low nibble and sign-extends on unpack', () => {
    const values = [-8, 7, -1, 0, 3];
    const packed = packInt4(values, true);
    expect([...packed]).toEqual([0x78, 0x0f, 0x03]);
    expect(unpackInt4(packed, 5, true)).toEqual(values);
    expect(unpackInt4(packInt4([15, 0, 9], false), 3, false)).toEqual([15, 0, 9]);
  });

  it('rejects values outside the 4-bit range', () => {
    expect(() => packInt4([8], true)).toThrow(/INT4 values must be integers in \[-8, 7\], got 8/);
    expect(() => packInt4([-1], false)).toThrow(/UINT4/);
    expect(() => packInt4([0.5], true)).toThrow(/integers/);
  });
});

describe('tensors', () => {
  it('round-trips every written type through encode/decode', () => {
    const cases = [
      { dataType: DataType.FLOAT, values: [1.5, -2.25, 3e-8] },
      { dataType: DataType.INT64, values: [-1, 0, 2 ** 40] },
      { dataType: DataType.INT8, values: [-128, 0, 127] },
      { dataType: DataType.UINT8, values: [0, 1, 255] },
      { dataType: DataType.INT4, values: [-7, 5, 1] },
      { dataType: DataType.UINT4, values: [0, 15, 2] },
    ];
    const b = new GraphBuilder();
    for (const c of cases)
      b.initializer(`t${c.dataType}`, { dims: [3], dataType: c.dataType, values: c.values });
    const x = b.input('x', DataType.FLOAT, [1]);
    b.output(b.node('Identity', [x])[0], DataType.FLOAT, [1]);
    const decoded = decodeModel(encodeModel(b.build()));
    for (const c of cases) {
      const t = decoded.graph!.initializer!.find((i) => i.name === `t${c.dataType}`)!;
      const r = readTensor(t);
      expect(r.dims).toEqual([3]);
      expect(r.dataType).toBe(c.dataType);
      expect(Array.from(r.values)).toEqual(
        c.dataType === DataType.FLOAT ? Array.from(Float32Array.from(c.values)) : c.values,
      );
    }
  });

  it('reads typed fields, float16 and external data, and names the tensor in errors', () => {
    expect(
      Array.from(readTensor({ name: 'a', dims: [2], data_type: DataType.FLOAT, float_data: [1, 2] }).values),
    ).toEqual([1, 2]);
    expect(
      readTensor({ name: 'b', dims: [2], data_type: DataType.INT64, int64_data: [4, -1] }).values,
    ).toEqual([4, -1]);
    // float16 1.0 = 0x3c00, -2 = 0xc000
    expect(
      Array.from(
        readTensor({ name: 'h', dims: [2], data_type: DataType.FLOAT16, int32_data: [0x3c00, 0xc000] })
          .values,
      ),
    ).toEqual([1, -2]);
    const file = new Uint8Array(16);
    new DataView(file.buffer).setFloat32(8, 0.25, true);
    const ext = {
      name: 'e',
      dims: [1],
      data_type: DataType.FLOAT,
      data_location: 1,
      external_data: [
        { key: 'location', value: 'w.bin' },
        { key: 'offset', value: '8' },
        { key: 'length', value: '4' },
      ],
    };
    expect(Array.from(readTensor(ext, { externalData: () => file }).values)).toEqual([0.25]);
    expect(() => readTensor(ext)).toThrow(/tensor "e": data is stored in the external file "w.bin"/);
    expect(() => readTensor({ name: 'c', dims: [3], data_type: DataType.FLOAT, float_data: [1] })).toThrow(
      /tensor "c": dims \[3\] need 3 values, the tensor holds 1/,
    );
    expect(() =>
      readTensor({ name: 'd', dims: [2], data_type: DataType.FLOAT, raw_data: new Uint8Array(7) }),
    ).toThrow(/tensor "d": 2 FLOAT values need 8 bytes, got 7/);
    expect(() => readTensor({ name: 's', dims: [1], data_type: DataType.STRING })).toThrow(
      /tensor "s": cannot read STRING/,
    );
    expect(() => makeTensor('m', { dims: [2, 2], dataType: DataType.FLOAT, values: [1] })).toThrow(
      /makeTensor\("m"\)/,
    );
  });
});

describe('checker', () => {
  function tiny(): GraphBuilder {
    const b = new GraphBuilder();
    const x = b.input('x', DataType.FLOAT, ['N', 2]);
    const [y] = b.node('Relu', [x]);
    b.output(y, DataType.FLOAT, ['N', 2]);
    return b;
  }

  it('accepts a builder graph', () => {
    expect(checkModel(tiny().build())).toEqual([]);
  });

  it('reports unsorted graphs, undefined inputs, missing opsets and double definitions', () => {
    const model = tiny().build();
    const nodes = model.graph!.node!;
    nodes.push({ name: 'late', op_type: 'Relu', input: ['later_value'], output: ['z'] });
    nodes.push({ name: 'producer', op_type: 'Relu', input: ['x'], output: ['later_value'] });
    nodes.push({ name: 'dup', op_type: 'Relu', input: ['x'], output: ['z'] });
    nodes.push({ name: 'custom', op_type: 'Foo', domain: 'com.example', input: ['x'], output: ['w'] });
    model.opset_import = [];
    const problems = checkModel(model);
    expect(problems).toContain('opset_import has no entry for the default ONNX domain');
    expect(
      problems.some((p) =>
        /node 1 "late" \(Relu\) reads "later_value", which is not defined before it/.test(p),
      ),
    ).toBe(true);
    expect(problems.some((p) => /"dup" \(Relu\) redefines value "z"/.test(p))).toBe(true);
    expect(problems.some((p) => /uses domain "com.example" without an opset_import/.test(p))).toBe(true);
    expect(() => assertValidModel(model)).toThrow(/invalid ONNX model/);
  });

  it('reports outputs never produced and initializer size mismatches', () => {
    const model = tiny().build();
    model.graph!.output!.push({ name: 'ghost', type: { tensor_type: { elem_type: DataType.FLOAT } } });
    model.graph!.initializer!.push({
      name: 'w',
      dims: [3],
      data_type: DataType.INT4,
      raw_data: new Uint8Array(1),
    });
    const problems = checkModel(model);
    expect(problems).toContain('graph output "ghost" is never produced');
    expect(problems).toContain('initializer "w": 3 INT4 values need 2 bytes of raw_data, got 1');
  });
});

describe('codec', () => {
  it('rejects bytes that are not a model', () => {
    expect(() => decodeModel(new Uint8Array(0))).toThrow(/decodeModel: the model file is empty/);
    expect(() => decodeModel(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow(
      /decodeModel: not an ONNX model/,
    );
    expect(() => decodeModel('abc' as unknown as Uint8Array)).toThrow(
      /expected the model file as a Uint8Array, got string/,
    );
  });

  it('writes files onnxruntime runs (conv with attributes, int4 DequantizeLinear)', async () => {
    const b = new GraphBuilder();
    const x = b.input('x', DataType.FLOAT, [1, 1, 3, 3]);
    // weight q ∈ int4 with scale 0.5: [[1, -2], [3, -8]] · 0.5
    const q = b.initializer('wq', { dims: [1, 1, 2, 2], dataType: DataType.INT4, values: [1, -2, 3, -8] });
    const s = b.floats('ws', [], [0.5]);
    const [w] = b.node('DequantizeLinear', [q, s]);
    const [y] = b.node('Conv', [x, w], {
      attributes: [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [1, 1])],
    });
    b.output(y, DataType.FLOAT, [1, 1, 2, 2]);
    const bytes = encodeModel(b.build({ metadata: { bits: '4' } }));
    const input = Float32Array.from({ length: 9 }, (_, i) => i + 1);
    const out = await runOrtSingle(bytes, input, [1, 1, 3, 3]);
    const wv = [0.5, -1, 1.5, -4];
    const expected = [0, 1, 3, 4].map(
      (o) => input[o] * wv[0] + input[o + 1] * wv[1] + input[o + 3] * wv[2] + input[o + 4] * wv[3],
    );
    expect(out.dims).toEqual([1, 1, 2, 2]);
    expect(Array.from(out.data)).toEqual(expected);
    expect(decodeModel(bytes).metadata_props).toEqual([{ key: 'bits', value: '4' }]);
  });
});
