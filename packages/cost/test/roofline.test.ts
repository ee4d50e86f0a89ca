import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  convLayer,
  type DeviceProfile,
  getProfile,
  linearLayer,
  listProfiles,
  rooflineModel,
} from '../src/index.js';
import { loadProfile } from '../src/node.js';
import { resnet18 } from './fixtures.js';
import { expectGradientsMatch } from './helpers.js';

// 2 TOPS at W4A4, 1 TOPS at W8A8: seconds per op 0.5e-12 and 1e-12.
const toy = (bandwidthGBps: number): DeviceProfile => ({
  name: 'toy',
  peakTops: { '4x4': 2, '8x8': 1 },
  bandwidthGBps,
  outputBits: 8,
});
// 3×3 conv 16→16 on 8×8, pad 1: MACs 147456, params 2304, 1024 inputs and outputs.
const conv = convLayer({ name: 'c', inChannels: 16, outChannels: 16, kernel: 3, padding: 1, inputSize: 8 });
const fc = linearLayer({ name: 'fc', inFeatures: 100, outFeatures: 10 }); // 1000 MACs, bias

describe('roofline', () => {
  it('memory-bound layer: (weight + bias + input + output bits) / 8 / bandwidth', () => {
    const model = rooflineModel({ profile: toy(1), unit: 's' });
    const r = model.evaluate([fc], [{ w: [8], a: 8 }]);
    // compute 2·1000·1e-12 = 2e-9 s; memory (8000 + 320 + 800 + 80) bits = 1150 B at 1 GB/s.
    expect(r.total).toBeCloseTo(1.15e-6, 18);
    expect(r.grad.w).toEqual([[1000 / 8 / 1e9]]);
    expect(r.grad.a[0]).toBeCloseTo(100 / 8 / 1e9, 20);
  });

  it('compute-bound layer: 2·MACs / peak, interpolated in fractional bits', () => {
    const model = rooflineModel({ profile: toy(1000), unit: 's' });
    expect(model.evaluate([conv], [{ w: [4], a: 4 }]).total).toBeCloseTo(2 * 147456 * 0.5e-12, 20);
    // W3A4 runs on the 4x4 unit; W5A4 falls back to 8x8.
    expect(model.evaluate([conv], [{ w: [3], a: 4 }]).total).toBeCloseTo(2 * 147456 * 0.5e-12, 20);
    expect(model.evaluate([conv], [{ w: [5], a: 4 }]).total).toBeCloseTo(2 * 147456 * 1e-12, 20);
    // W4.5: halfway between 0.5e-12 and 1e-12 s/op, slope 0.5e-12 per bit.
    const r = model.evaluate([conv], [{ w: [4.5], a: 4 }]);
    expect(r.total).toBeCloseTo(2 * 147456 * 0.75e-12, 20);
    expect(r.grad.w[0][0]).toBeCloseTo(2 * 147456 * 0.5e-12, 20);
    // Kernel-wise: each channel's MACs at its own bits; a 0-bit channel computes nothing.
    const kw = model.evaluate([conv], [{ w: [4, 8, 0, ...Array(13).fill(4)], a: 4 }]);
    expect(kw.total).toBeCloseTo(((2 * 147456) / 16) * (14 * 0.5e-12 + 1e-12), 20);
  });

  it('reports ms by default and scales activations and compute with batch, not weights', () => {
    const one = rooflineModel({ profile: toy(1) });
    expect(one.unit).toBe('ms');
    expect(one.evaluate([fc], [{ w: [8], a: 8 }]).total).toBeCloseTo(1.15e-3, 15);
    const four = rooflineModel({ profile: toy(1), batch: 4 });
    expect(four.evaluate([fc], [{ w: [8], a: 8 }]).total).toBeCloseTo((8320 + 4 * 880) / 8 / 1e6, 15);
  });

  it('picks the fastest pair at least as wide, and explains a missing one', () => {
    const npu = rooflineModel({ profile: 'mobile-npu', batch: 64, unit: 's' });
    const big = convLayer({
      name: 'big',
      inChannels: 64,
      outChannels: 64,
      kernel: 3,
      padding: 1,
      inputSize: 32,
    });
    const at = (w: number, a: number) => npu.evaluate([big], [{ w: [w], a }]).total;
    const perOp = (tops: number) => (2 * 64 * big.macs) / (tops * 1e12);
    expect(at(4, 4)).toBeCloseTo(perOp(8), 15);
    expect(at(3, 5)).toBeCloseTo(perOp(4), 15); // 4x8 or 8x8, both 4 TOPS
    expect(at(8, 4)).toBeCloseTo(perOp(4), 15); // not listed: falls back to 8x8
    expect(at(12, 8)).toBeCloseTo(perOp(1), 15); // fp16
    const fusion = rooflineModel({ profile: 'bitfusion' });
    expect(() => fusion.evaluate([big], [{ w: [9], a: 1 }])).toThrow(
      /roofline: device profile "bitfusion" supports no bit-width pair covering W9A1 \(supported: 2x2, /,
    );
  });

  it('gradients match finite differences on both branches', () => {
    const layers = resnet18().slice(0, 6);
    const bits = layers.map((l, i) => ({
      w: i === 2 ? Array.from({ length: l.outChannels }, (_, o) => 2.3 + (o % 5)) : [2.6 + i],
      a: 3.4,
    }));
    for (const profile of listProfiles()) {
      expectGradientsMatch(rooflineModel({ profile, batch: 8, unit: 'us' }), layers, bits);
    }
    expectGradientsMatch(rooflineModel({ profile: toy(1000), unit: 'us' }), [conv], [{ w: [4.5], a: 2.5 }]);
  });

  it('validates profiles and loads them by name or path', () => {
    expect(listProfiles()).toEqual(['bitfusion', 'mobile-npu', 'gpu-tensorcore']);
    expect(getProfile('bitfusion').peakTops['8x8']).toBe(0.512);
    expect(() => getProfile('tpu')).toThrow(
      /unknown device profile "tpu" \(built-in: bitfusion, mobile-npu, gpu-tensorcore/,
    );
    expect(() => rooflineModel({ profile: { ...toy(1), peakTops: { '4by4': 1 } } })).toThrow(
      /device profile option: peakTops key "4by4" is not a bit-width pair "WxA"/,
    );
    expect(() => rooflineModel({ profile: { ...toy(1), bandwidthGBps: 0 } })).toThrow(
      /"bandwidthGBps" to be a positive number/,
    );
    expect(() => rooflineModel({} as never)).toThrow(/roofline: options.profile is required/);
    const dir = mkdtempSync(join(tmpdir(), 'fracbits-cost-'));
    const file = join(dir, 'npu.json');
    writeFileSync(file, JSON.stringify({ ...toy(3), name: 'file-npu', extra: 1 }));
    expect(() => loadProfile(file)).toThrow(/device profile '.*npu.json': unknown field "extra"/);
    writeFileSync(file, JSON.stringify({ ...toy(3), name: 'file-npu' }));
    expect(loadProfile(file).bandwidthGBps).toBe(3);
    expect(loadProfile('gpu-tensorcore').name).toBe('gpu-tensorcore');
    writeFileSync(file, '{ nope');
    expect(() => loadProfile(file)).toThrow(/loadProfile: device profile '.*npu.json' is not valid JSON/);
    expect(() => loadProfile(join(dir, 'missing.json'))).toThrow(/loadProfile: cannot read device profile/);
  });
});
