import { readFileSync } from 'node:fs';
import { bitopsModel } from '@fracbits/cost';
import { Conv2d, Linear, lenet5, ReLU, Sequential, splitDecay } from '@fracbits/nn';
import { backward, Rng, scope, sum, type Tensor, tensor } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import {
  BudgetPenalty,
  getBitsSync,
  isNoDecayParameter,
  layerInfos,
  QConv2d,
  QLinear,
  type QuantizedLayer,
  quantizedLayers,
  quantizeModel,
  setIntegerBits,
} from '../src/index.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../../fixtures/fracbits-vectors.json', import.meta.url), 'utf8'),
);
const L = vectors.lenet_bitops_layerwise;

function images(n: number, c: number, h: number, w: number, seed = 1): Tensor {
  const rng = new Rng(seed);
  return tensor(
    Array.from({ length: n * c * h * w }, () => rng.uniformRange(-1, 1)),
    [n, c, h, w],
  );
}

function layer(model: Sequential, name: string): QuantizedLayer {
  const m = model.getModule(name);
  if (!(m instanceof QConv2d || m instanceof QLinear)) throw new Error(`${name} is not quantized`);
  return m;
}

/** Writes λ values into a layer's parameters (test helper). */
function setLambda(l: QuantizedLayer, w: number[] | null, a: number | null): void {
  if (w && l.bitsW.lambda) l.bitsW.lambda.assign(tensor(w, l.bitsW.lambda.shape));
  if (a !== null && l.bitsA?.lambda) l.bitsA.lambda.assign(tensor([a], [1]));
}

describe('quantizeModel', () => {
  it('wraps every conv/linear of LeNet-5, pinning the first conv and the last linear', () => {
    const { model, layers } = quantizeModel(lenet5({ seed: 1 }), { targetBits: 3, inputShape: [1, 28, 28] });
    expect(layers).toEqual([
      {
        name: 'conv1',
        kind: 'conv',
        pinned: { w: 8, a: 8 },
        quantizesInput: false,
        signedInput: false,
        weightBitsSize: 1,
      },
      { name: 'conv2', kind: 'conv', quantizesInput: true, signedInput: false, weightBitsSize: 1 },
      { name: 'fc1', kind: 'linear', quantizesInput: true, signedInput: false, weightBitsSize: 1 },
      { name: 'fc2', kind: 'linear', quantizesInput: true, signedInput: false, weightBitsSize: 1 },
      {
        name: 'fc3',
        kind: 'linear',
        pinned: { w: 8 },
        quantizesInput: true,
        signedInput: false,
        weightBitsSize: 1,
      },
    ]);
    // λ starts at target + 0.5; pinned and unquantized entries read as their counted bits.
    expect(getBitsSync(model).map((b) => [b.name, b.w, b.a])).toEqual([
      ['conv1', [8], 8],
      ['conv2', [3.5], 3.5],
      ['fc1', [3.5], 3.5],
      ['fc2', [3.5], 3.5],
      ['fc3', [8], 3.5],
    ]);
    expect(layer(model, 'conv2').alpha!.itemSync()).toBe(8);
    expect(layer(model, 'fc1').alpha!.itemSync()).toBe(10);
  });

  it('keeps the float parameter names and leaves bit-widths and clips out of weight decay', () => {
    const { model } = quantizeModel(lenet5({ seed: 1 }), { targetBits: 4, granularity: 'kernel' });
    const names = model.namedParameters().map(([n]) => n);
    expect(names).toContain('conv1.weight');
    expect(names).toContain('conv2.lambda_w');
    expect(names).not.toContain('conv1.lambda_w'); // pinned
    expect(names).not.toContain('conv1.alpha'); // input not quantized
    expect(layer(model, 'conv2').bitsW.lambda!.shape).toEqual([16]); // kernel-wise
    const groups = splitDecay(model, 5e-4);
    const decayed = new Set(groups.find((g) => g.name === 'decay')!.params);
    for (const [name, t] of model.namedParameters()) {
      expect(decayed.has(t), name).toBe(name.endsWith('.weight'));
      expect(isNoDecayParameter(name), name).toBe(/lambda_[wa]$|alpha$/.test(name));
    }
  });

  it("float mode computes exactly the float model; 'search' differs", () => {
    const x = images(2, 1, 28, 28);
    const float = lenet5({ seed: 3 });
    const want = float.call(x).dataSync().slice();
    const { model } = quantizeModel(lenet5({ seed: 3 }), { targetBits: 3, mode: 'float' });
    expect([...model.call(x).dataSync()]).toEqual([...want]);
    for (const [, l] of quantizedLayers(model)) l.mode = 'search';
    expect([...model.call(x).dataSync()]).not.toEqual([...want]);
  });

  it('marks chosen layers double-sided and applies SAT to the last linear only', () => {
    const net = new Sequential()
      .append(new Conv2d(3, 4, 3, { padding: 1, rng: new Rng(2) }), 'c1')
      .append(new Conv2d(4, 4, 3, { rng: new Rng(3) }), 'c2')
      .append(new ReLU(), 'r')
      .append(new Conv2d(4, 5, 1, { rng: new Rng(4) }), 'c3');
    const { model, layers } = quantizeModel(net, {
      targetBits: 3,
      activationSigned: ['c2'],
      satRescale: true,
    });
    expect(layers.map((l) => [l.name, l.signedInput])).toEqual([
      ['c1', false],
      ['c2', true],
      ['c3', false],
    ]);
    expect(quantizedLayers(model).every(([, l]) => !l.satRescale)).toBe(true); // no linear layer
    expect(model.call(images(1, 3, 5, 7)).shape).toEqual([1, 5, 3, 5]);
  });

  it('rejects a second quantization and a model without layers', () => {
    const { model } = quantizeModel(lenet5(), { targetBits: 3 });
    expect(() => quantizeModel(model, { targetBits: 3 })).toThrow(
      /quantizeModel: the model is already quantized/,
    );
    expect(() => quantizeModel(new Sequential(new ReLU()), { targetBits: 3 })).toThrow(
      /no Conv2d or Linear layer/,
    );
    expect(() => quantizeModel(lenet5(), { targetBits: 9 })).toThrow(
      /targetBits inside the bit range \[2, 8\], got 9/,
    );
  });
});

describe('quantized layers', () => {
  it('back-propagates into weight, bias, λw, λa and α', () => {
    const net = new Sequential(
      new Linear(7, 5, { rng: new Rng(5) }),
      new ReLU(),
      new Linear(5, 3, { rng: new Rng(6) }),
    );
    const { model } = quantizeModel(net, { targetBits: 3, granularity: 'kernel', pinLast: false });
    const x = tensor(
      Array.from({ length: 2 * 7 }, (_, i) => Math.sin(i) * 2),
      [2, 7],
    );
    scope(() => backward(sum(model.call(x))));
    for (const [name, p] of model.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
      expect([...p.grad!.dataSync()].every(Number.isFinite), name).toBe(true);
    }
    expect(layer(model as Sequential, '2').bitsW.lambda!.grad!.shape).toEqual([3]);
  });

  it('after setIntegerBits runs the integer model with frozen bits', () => {
    const { model } = quantizeModel(lenet5({ seed: 1 }), {
      targetBits: 3,
      inputShape: [1, 28, 28],
      bitsRange: [1, 8],
    });
    setIntegerBits(model, {
      conv2: { w: 3, a: 2 },
      fc1: { w: [3], a: 4 },
      fc2: { w: 2, a: 2 },
      fc3: { w: 8, a: 2 },
    });
    expect(getBitsSync(model).map((b) => [b.w[0], b.a])).toEqual([
      [8, 8],
      [3, 2],
      [3, 4],
      [2, 2],
      [8, 2],
    ]);
    expect(quantizedLayers(model).every(([, l]) => l.mode === 'fixed')).toBe(true);
    scope(() => backward(sum(model.call(images(1, 1, 28, 28)))));
    expect(layer(model, 'conv2').bitsW.lambda!.grad).toBeNull();
    expect(layer(model, 'conv2').weight.grad).not.toBeNull();
    const all = { conv2: { w: 3, a: 2 }, fc1: { w: 3, a: 4 }, fc2: { w: 2, a: 2 } };
    expect(() => setIntegerBits(model, { ...all, fc3: { w: 4, a: 2 } })).toThrow(
      /integer bit-widths in \[8, 8\], got 4/,
    );
    expect(() => setIntegerBits(model, { ...all, fc3: { w: 8, a: 2 }, conv2: { w: 2.5 } })).toThrow(
      /integer bit-widths in \[1, 8\], got 2.5/,
    );
    expect(getBitsSync(model)[1].w).toEqual([3]); // nothing changed by the failed calls
    expect(() => setIntegerBits(model, { nope: { w: 2 } })).toThrow(/no quantized layer "nope"/);
    expect(() => setIntegerBits(model, { conv2: { w: 2, a: 2 } })).toThrow(
      /no bits given for learnable layer\(s\) fc1, fc2, fc3/,
    );
  });
});

describe('layerInfos and BudgetPenalty (LeNet-5 vectors)', () => {
  const setup = () => {
    const { model } = quantizeModel(lenet5({ seed: 1 }), {
      targetBits: 3,
      inputShape: [1, 28, 28],
      bitsRange: [1, 8],
    });
    ['conv2', 'fc1', 'fc2', 'fc3'].forEach((name) => {
      const i = ['conv1', 'conv2', 'fc1', 'fc2', 'fc3'].indexOf(name);
      setLambda(layer(model, name), [L.lamda_w[i]], L.lamda_a[i]);
    });
    return model;
  };

  it('describes the quantized layers with pinned bits for the cost models', () => {
    const infos = layerInfos(setup(), [1, 28, 28]);
    expect(infos.map((i) => [i.name, i.macs, i.params, i.pinned])).toEqual([
      ['conv1', 117600, 150, { w: 8, a: 8 }],
      ['conv2', 240000, 2400, undefined],
      ['fc1', 48000, 48000, undefined],
      ['fc2', 10080, 10080, undefined],
      ['fc3', 840, 840, { w: 8 }],
    ]);
    expect(infos[0].inputShape).toEqual([1, 28, 28]);
  });

  it('reads the fractional BitOps and injects κ·sign(c − T)·∂c/∂λ into the λ gradients', () => {
    const model = setup();
    const infos = layerInfos(model, [1, 28, 28]);
    const kappa = 1e-6; // per BitOp
    const target = 9e6; // below the fractional cost → sign +1
    const pen = new BudgetPenalty(model, infos, [{ model: bitopsModel({ unit: 'BitOps' }), target, kappa }]);
    const reading = pen.readSync();
    expect(reading.result.constraints[0].cost).toBeCloseTo(L.bitops, 0);
    expect(reading.result.value).toBeCloseTo(kappa * (L.bitops - target), 6);
    scope(() => {
      const loss = pen.loss(reading);
      expect(loss.itemSync()).toBeCloseTo(kappa * (L.bitops - target), 6);
      backward(loss);
    });
    const grads = ['conv2', 'fc1', 'fc2', 'fc3'].map((n) => {
      const l = layer(model, n);
      return [l.bitsW.lambda?.grad?.itemSync() ?? null, l.bitsA!.lambda!.grad!.itemSync()];
    });
    const want = [1, 2, 3, 4].map((i) => [
      i === 4 ? null : kappa * L.dB_dlamda_w[i][0],
      kappa * L.dB_dlamda_a[i][0],
    ]);
    grads.flat().forEach((g, i) => {
      const w = want.flat()[i];
      if (w === null) expect(g).toBeNull();
      else expect(g).toBeCloseTo(w, 5);
    });
  });

  it('matches finite differences of the penalty value, and gives no gradient outside [bmin, bmax]', () => {
    const model = setup();
    const infos = layerInfos(model, [1, 28, 28]);
    const constraint = { model: bitopsModel({ unit: 'MBitOps' }), target: 10, kappa: 1 }; // above the cost → sign −1
    const pen = new BudgetPenalty(model, infos, [constraint]);
    const fc1 = layer(model, 'fc1');
    scope(() => backward(pen.loss(pen.readSync())));
    const analytic = fc1.bitsW.lambda!.grad!.itemSync();
    const value = (w: number) => {
      setLambda(fc1, [w], null);
      return pen.readSync().result.value;
    };
    const eps = 1e-2;
    const numeric = (value(3.2 + eps) - value(3.2 - eps)) / (2 * eps);
    expect(analytic).toBeCloseTo(numeric, 4);
    expect(analytic).toBeLessThan(0);
    // λ below bmin: the clamp is active, so the penalty does not move it.
    setLambda(fc1, [0.5], null);
    fc1.bitsW.lambda!.grad = null;
    scope(() => backward(pen.loss(pen.readSync())));
    expect(fc1.bitsW.lambda!.grad!.itemSync() === 0).toBe(true);
  });

  it('leaves layers in fixed mode out of the penalty gradient', () => {
    const model = setup();
    const pen = new BudgetPenalty(model, layerInfos(model, [1, 28, 28]), [
      { model: bitopsModel({ unit: 'MBitOps' }), target: 5, kappa: 1 },
    ]);
    layer(model, 'conv2').mode = 'fixed';
    expect(pen.parameters()).not.toContain(layer(model, 'conv2').bitsW.lambda);
    scope(() => backward(pen.loss(pen.readSync())));
    expect(layer(model, 'conv2').bitsW.lambda!.grad).toBeNull();
    expect(layer(model, 'fc1').bitsW.lambda!.grad).not.toBeNull();
  });
});
