import type { BitAssignment } from '@fracbits/plugin-api';
import { uniformStream } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import {
  acmeLatency,
  acmeLatencyFactory,
  bilinear,
  EDGE_NPU_1,
  LAYER_KINDS,
  layerKind,
  PS_PER_MAC,
  tableAt,
} from '../src/index.js';
import { conv, fractional, network } from './layers.js';

describe('the latency table', () => {
  it('is 8×8 per kind, positive, and grows with the weight bits', () => {
    for (const kind of LAYER_KINDS) {
      const t = PS_PER_MAC[kind];
      expect(t).toHaveLength(8);
      for (let w = 0; w < 8; w++) {
        expect(t[w]).toHaveLength(8);
        for (let a = 0; a < 8; a++) {
          expect(t[w][a]).toBeGreaterThan(0);
          if (w > 0) expect(t[w][a]).toBeGreaterThan(t[w - 1][a]);
        }
      }
    }
  });

  it('extends to 0 bits: pruned weights cost nothing, 0-bit activations cost as 1 bit', () => {
    expect(tableAt('conv', 0, 5)).toBe(0);
    expect(tableAt('linear', 3, 0)).toBe(PS_PER_MAC.linear[2][0]);
    expect(tableAt('depthwise', 8, 8)).toBe(4.48);
    expect(() => tableAt('conv', 2.5, 3)).toThrow(/integer bits in 0..8, got w=2.5/);
    expect(() => tableAt('conv', 9, 3)).toThrow(/got w=9/);
  });
});

describe('bilinear', () => {
  const at = (w: number, a: number) => tableAt('conv', w, a);

  it('equals the table at every integer pair, 8 included', () => {
    for (let w = 0; w <= 8; w++) for (let a = 0; a <= 8; a++) expect(bilinear(at, w, a).value).toBe(at(w, a));
  });

  it('is linear along each axis inside a cell (hand-computed midpoints)', () => {
    // Between W3 and W4 at A4: (1.34 + 1.40) / 2; between A4 and A5 at W3: (1.34 + 2.25) / 2.
    expect(bilinear(at, 3.5, 4).value).toBeCloseTo(1.37, 12);
    expect(bilinear(at, 3, 4.5).value).toBeCloseTo(1.795, 12);
    expect(bilinear(at, 3.5, 4).dw).toBeCloseTo(0.06, 12);
    expect(bilinear(at, 3, 4.5).da).toBeCloseTo(0.91, 12);
  });

  it('has the exact gradient (central finite differences at random fractional points)', () => {
    const random = uniformStream(1);
    const h = 1e-6;
    for (let i = 0; i < 200; i++) {
      const w = fractional(random);
      const a = fractional(random);
      const r = bilinear(at, w, a);
      const dw = (bilinear(at, w + h, a).value - bilinear(at, w - h, a).value) / (2 * h);
      const da = (bilinear(at, w, a + h).value - bilinear(at, w, a - h).value) / (2 * h);
      expect(r.dw).toBeCloseTo(dw, 6);
      expect(r.da).toBeCloseTo(da, 6);
    }
  });

  it('is continuous across cell borders', () => {
    for (const x of [1, 2, 3, 4, 5, 6, 7]) {
      expect(bilinear(at, x - 1e-12, 3.3).value).toBeCloseTo(bilinear(at, x, 3.3).value, 9);
      expect(bilinear(at, 2.7, x - 1e-12).value).toBeCloseTo(bilinear(at, 2.7, x).value, 9);
    }
  });
});

describe('acme-latency', () => {
  const model = acmeLatency();

  it('classifies layer kinds from the geometry', () => {
    expect(network.map(layerKind)).toEqual(['conv', 'depthwise', 'linear', 'linear']);
    expect(layerKind({ ...conv, groups: 2 })).toBe('conv'); // grouped, not depthwise
  });

  it('computes a layer by hand: compute + weight stream + launch (µs)', () => {
    const r = model.evaluate([conv], [{ w: [3], a: 4 }]);
    const compute = (conv.macs * PS_PER_MAC.conv[2][3]) / 1e6;
    const weights = (conv.params * 3) / 8 / EDGE_NPU_1.weightBytesPerUs;
    expect(r.total).toBeCloseTo(compute + weights + EDGE_NPU_1.launchUs, 12);
    expect(r.perLayer).toEqual([r.total]);
    expect(r.grad.w[0]).toHaveLength(1);
    // Between W3 and W4 the table rises 0.06 ps per MAC; the stream 1/8 byte per weight.
    expect(r.grad.w[0][0]).toBeCloseTo((conv.macs * 0.06) / 1e6 + conv.params / 8 / 8000, 12);
    expect(r.grad.a[0]).toBeCloseTo((conv.macs * (2.25 - 1.34)) / 1e6, 12);
  });

  it('gives kernel-wise bits a per-channel share; equal channels equal the layer-wise cost', () => {
    const layerwise = model.evaluate([conv], [{ w: [3.4], a: 5.2 }]);
    const kernelwise = model.evaluate([conv], [{ w: new Array(32).fill(3.4), a: 5.2 }]);
    expect(kernelwise.total).toBeCloseTo(layerwise.total, 12);
    expect(kernelwise.grad.w[0]).toHaveLength(32);
    const sum = kernelwise.grad.w[0].reduce((s, g) => s + g, 0);
    expect(sum).toBeCloseTo(layerwise.grad.w[0][0], 12);
    expect(kernelwise.grad.a[0]).toBeCloseTo(layerwise.grad.a[0], 12);
  });

  it('charges nothing but the launch for a fully pruned layer without bias', () => {
    const r = model.evaluate([conv], [{ w: new Array(32).fill(0), a: 4 }]);
    expect(r.total).toBeCloseTo(EDGE_NPU_1.launchUs, 12);
  });

  it('uses pinned bits instead of the assigned ones and gives them a zero gradient', () => {
    const a = model.evaluate(network, [
      { w: [2.5], a: 2.5 },
      { w: [3.3], a: 4.1 },
      { w: [4.2], a: 3.7 },
      { w: [1.5], a: 5.5 },
    ]);
    const b = model.evaluate(network, [
      { w: [6.5], a: 1.5 },
      { w: [3.3], a: 4.1 },
      { w: [4.2], a: 3.7 },
      { w: [7.5], a: 5.5 },
    ]);
    expect(a.perLayer[0]).toBe(b.perLayer[0]);
    expect(a.perLayer[3]).toBe(b.perLayer[3]);
    expect(a.grad.w[0]).toEqual([0]);
    expect(a.grad.a[0]).toBe(0);
    expect(a.grad.w[3]).toEqual([0]);
    expect(a.grad.a[3]).not.toBe(0); // the last linear's input bits are learned
    const conv1 = network[0];
    const expected =
      (conv1.macs * PS_PER_MAC.conv[7][7]) / 1e6 +
      (conv1.params * 8) / 8 / 8000 +
      (5 * 32) / 8 / 8000 +
      EDGE_NPU_1.launchUs;
    expect(a.perLayer[0]).toBeCloseTo(expected, 12);
  });

  it('has the exact gradient of the total (finite differences, kernel-wise, odd channel counts)', () => {
    const random = uniformStream(7);
    const h = 1e-6;
    for (let trial = 0; trial < 20; trial++) {
      const bits: BitAssignment[] = network.map((l) => ({
        w: Array.from({ length: l.outChannels }, () => fractional(random)),
        a: fractional(random),
      }));
      const r = model.evaluate(network, bits);
      // Total with one bit-width moved by `delta`: channel `o` of layer `i`, or its activation (o = -1).
      const totalWith = (i: number, o: number, delta: number) => {
        const copy = bits.map((b, l) =>
          l !== i
            ? b
            : o < 0
              ? { w: b.w, a: b.a + delta }
              : { w: b.w.map((v, c) => (c === o ? v + delta : v)), a: b.a },
        );
        return model.evaluate(network, copy).total;
      };
      const fd = (i: number, o: number) => (totalWith(i, o, h) - totalWith(i, o, -h)) / (2 * h);
      network.forEach((layer, i) => {
        for (let o = 0; o < layer.outChannels; o++) expect(r.grad.w[i][o]).toBeCloseTo(fd(i, o), 6);
        expect(r.grad.a[i]).toBeCloseTo(fd(i, -1), 6);
      });
      expect(r.perLayer.reduce((s, v) => s + v, 0)).toBeCloseTo(r.total, 12);
    }
  });

  it('reports in ms on request, gradient included', () => {
    const bits = [{ w: [3.5], a: 4.5 }];
    const us = acmeLatency({ unit: 'us' }).evaluate([conv], bits);
    const ms = acmeLatency({ unit: 'ms' }).evaluate([conv], bits);
    expect(ms.total).toBeCloseTo(us.total / 1000, 15);
    expect(ms.grad.w[0][0]).toBeCloseTo(us.grad.w[0][0] / 1000, 15);
  });

  it('parses budgets with time units into its own unit', () => {
    expect(model.parseBudget?.('2ms')).toBe(2000);
    expect(model.parseBudget?.('150us')).toBe(150);
    expect(model.parseBudget?.('150µs')).toBe(150);
    expect(model.parseBudget?.('0.5 ms')).toBe(500);
    expect(model.parseBudget?.('12')).toBe(12);
    expect(acmeLatency({ unit: 'ms' }).parseBudget?.('250us')).toBe(0.25);
    expect(() => model.parseBudget?.('2 parsecs')).toThrow(/unknown time unit 'parsecs'/);
    expect(() => model.parseBudget?.('fast')).toThrow(/expected a latency such as '2ms'/);
  });

  it('rejects malformed input with messages naming the layer', () => {
    expect(() => model.evaluate([conv], [])).toThrow(/one bit assignment per layer \(1\), got 0/);
    expect(() => model.evaluate([conv], [{ w: [3, 3], a: 4 }])).toThrow(
      /layer "stage2.conv1": expected 1 or 32 weight bit-widths, got 2/,
    );
    expect(() => model.evaluate([conv], [{ w: [9], a: 4 }])).toThrow(
      /weight bits \[0\] must be a number in \[0, 8\], got 9/,
    );
    expect(() => model.evaluate([conv], [{ w: [3], a: Number.NaN }])).toThrow(/activation bits must be/);
    expect(() => acmeLatency({ unit: 'h' as never })).toThrow(/unit must be one of 'us', 'ms', got "h"/);
  });

  it('is created by its factory with the host-given options', () => {
    expect(acmeLatencyFactory.create().unit).toBe('us');
    expect(acmeLatencyFactory.create({ unit: 'ms' }).unit).toBe('ms');
    expect(() => acmeLatencyFactory.create({ unit: 3 })).toThrow(/option unit must be a string, got number/);
  });
});
