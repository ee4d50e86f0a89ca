import { describe, expect, it } from 'vitest';
import {
  type BitAssignment,
  checkSpecificationVersion,
  defineCostModel,
  defineDataset,
  defineExporter,
  defineFactory,
  definePlugin,
  type FracbitsPlugin,
  instantiate,
  isFactory,
  type LayerInfo,
  SPECIFICATION_VERSION,
} from '../src/index.js';

// The README's example cost model: it must type-check with contextually typed parameters.
const weightBits = defineCostModel({
  specificationVersion: 'v1',
  name: 'weight-kbits',
  description: 'Σ params·bits',
  unit: 'kbit',
  evaluate(layers, bits) {
    const perLayer = layers.map(
      (l, i) => ((l.params / bits[i].w.length) * bits[i].w.reduce((s, b) => s + b, 0)) / 1e3,
    );
    return {
      total: perLayer.reduce((s, c) => s + c, 0),
      perLayer,
      grad: {
        w: layers.map((l, i) => bits[i].w.map(() => l.params / bits[i].w.length / 1e3)),
        a: layers.map(() => 0),
      },
    };
  },
});

const layer: LayerInfo = {
  name: 'fc',
  kind: 'linear',
  inChannels: 10,
  outChannels: 2,
  kernel: [1, 1],
  stride: [1, 1],
  groups: 1,
  inputShape: [10],
  outputShape: [2],
  macs: 20,
  params: 20,
  hasBias: true,
};

describe('plugin-api', () => {
  it('exposes the specification version', () => {
    expect(SPECIFICATION_VERSION).toBe('v1');
  });

  it('define helpers are identities', () => {
    const bits: BitAssignment[] = [{ w: [3], a: 4 }];
    expect(weightBits.evaluate([layer], bits).total).toBeCloseTo(0.06, 12);
    const exporter = defineExporter({
      specificationVersion: 'v1',
      name: 'bits-json',
      description: 'bit-widths as JSON',
      formats: ['json'],
      async export({ name, layers, bits }) {
        const table = layers.map((l, i) => ({ layer: l.name, ...bits[i] }));
        return [{ path: `${name}.bits.json`, data: JSON.stringify(table), mediaType: 'application/json' }];
      },
    });
    const plugin = definePlugin({ specificationVersion: 'v1', name: 'p', exporters: [exporter] });
    expect(plugin.exporters[0]).toBe(exporter);
  });

  it('accepts a well-formed plugin and returns it', () => {
    const dataset = defineDataset({
      specificationVersion: 'v1',
      name: 'noise',
      description: 'x',
      async load() {
        const split = {
          length: 2,
          batch: (idx: ArrayLike<number>) => ({
            inputs: new Float32Array(idx.length),
            labels: new Int32Array(idx.length),
          }),
        };
        return { train: split, test: split, inputShape: [1], numClasses: 2 };
      },
    });
    const plugin: FracbitsPlugin = {
      specificationVersion: 'v1',
      name: 'ok',
      costModels: [weightBits],
      datasets: [dataset],
    };
    expect(checkSpecificationVersion(plugin)).toBe(plugin);
    expect(checkSpecificationVersion(weightBits)).toBe(weightBits);
  });

  it('rejects a missing or different version with a clear message', () => {
    expect(() => checkSpecificationVersion({ name: 'old' })).toThrow(
      /plugin "old" does not declare specificationVersion \(expected 'v1'\)/,
    );
    expect(() => checkSpecificationVersion({ name: 'future', specificationVersion: 'v2' })).toThrow(
      /plugin "future" implements plugin specification "v2", but this host supports 'v1'/,
    );
    expect(() => checkSpecificationVersion(null)).toThrow(/expected plugin to be an object, got null/);
    expect(() => checkSpecificationVersion('x')).toThrow(/expected plugin to be an object, got "x"/);
  });

  it('checks every member of a bundle', () => {
    const bad = {
      specificationVersion: 'v1',
      name: 'bundle',
      exporters: [
        { specificationVersion: 'v1', name: 'a' },
        { specificationVersion: 'v0', name: 'b' },
      ],
    };
    expect(() => checkSpecificationVersion(bad)).toThrow(
      /exporters\[1\] "b" of plugin "bundle" implements plugin specification "v0"/,
    );
    expect(() => checkSpecificationVersion({ specificationVersion: 'v1', name: 'x', pruners: {} })).toThrow(
      /expected pruners of plugin "x" to be an array, got object/,
    );
  });

  it('instantiates factories and passes ready members through', () => {
    const factory = defineFactory({
      specificationVersion: 'v1',
      name: 'scaled',
      description: 'weight bits with a unit option',
      create: (options) => ({ ...weightBits, unit: String(options?.unit ?? 'kbit') }),
    });
    expect(isFactory(factory)).toBe(true);
    expect(isFactory(weightBits)).toBe(false);
    expect(instantiate(factory, { unit: 'Mbit' }).unit).toBe('Mbit');
    expect(instantiate(weightBits)).toBe(weightBits);
  });
});
