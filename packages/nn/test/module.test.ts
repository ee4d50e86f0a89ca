import { add, mul, type Shape, type Tensor, tensor, zeros } from '@fracbits/tensor';
import { describe, expect, it } from 'vitest';
import { Conv2d, Identity, Linear, Module, ReLU, Sequential } from '../src/index.js';

/** y = x·scale + shift, a minimal module with one parameter and one buffer. */
class Affine extends Module {
  scale: Tensor;
  shift: Tensor;
  constructor(n: number) {
    super();
    this.scale = this.registerParameter('scale', tensor(Array.from({ length: n }, (_, i) => i + 1)));
    this.shift = this.registerBuffer('shift', zeros([n]));
  }
  override outputShape(s: Shape): number[] {
    return [...s];
  }
  forward(x: Tensor): Tensor {
    return add(mul(x, this.scale), this.shift);
  }
}

class Pair extends Module {
  left: Module;
  right: Module;
  constructor() {
    super();
    this.left = this.registerModule('left', new Affine(2));
    this.right = this.registerModule('right', new Sequential(new Affine(2), new ReLU()));
  }
  forward(x: Tensor): Tensor {
    return this.right.call(this.left.call(x));
  }
}

describe('Module', () => {
  it('lists modules in pre-order and names parameters and buffers by path', () => {
    const m = new Pair();
    expect(m.namedModules().map(([n, mod]) => [n, mod.constructor.name])).toEqual([
      ['', 'Pair'],
      ['left', 'Affine'],
      ['right', 'Sequential'],
      ['right.0', 'Affine'],
      ['right.1', 'ReLU'],
    ]);
    expect(m.children().map(([n]) => n)).toEqual(['left', 'right']);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['left.scale', 'right.0.scale']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['left.shift', 'right.0.shift']);
    expect([...m.stateDict().keys()]).toEqual(['left.scale', 'right.0.scale', 'left.shift', 'right.0.shift']);
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it('runs forward through call()', () => {
    const m = new Pair();
    expect([...m.call(tensor([1, -1])).dataSync()]).toEqual([1, 0]);
  });

  it('rejects duplicate and invalid names', () => {
    const m = new Affine(1);
    expect(() => m.registerParameter('scale', zeros([1]))).toThrow(/"scale" is already registered/);
    expect(() => m.registerModule('a.b', new Identity())).toThrow(/invalid name "a.b"/);
  });

  it('train()/eval() set the mode recursively', () => {
    const m = new Pair();
    m.eval();
    expect(m.namedModules().every(([, x]) => !x.training)).toBe(true);
    m.train();
    expect(m.namedModules().every(([, x]) => x.training)).toBe(true);
  });

  it('replaceModule swaps a child and the field that held it', () => {
    const m = new Pair();
    const replacement = new Identity();
    m.replaceModule('left', replacement);
    expect(m.left).toBe(replacement);
    expect(m.getModule('left')).toBe(replacement);
    expect(m.children().map(([n]) => n)).toEqual(['left', 'right']);
    expect(() => m.replaceModule('nope', replacement)).toThrow(/no child "nope" \(children: left, right\)/);
  });

  it('loadStateDict copies values, checks keys and shapes', () => {
    const a = new Pair();
    const b = new Pair();
    b.loadStateDict(
      new Map([['left.scale', tensor([7, 8])], ...[...a.stateDict()].filter(([k]) => k !== 'left.scale')]),
    );
    expect([...b.stateDict().get('left.scale')!.dataSync()]).toEqual([7, 8]);

    const missing = new Map(a.stateDict());
    missing.delete('right.0.shift');
    expect(() => b.loadStateDict(missing)).toThrow(/missing keys: right.0.shift/);
    expect(b.loadStateDict(missing, { strict: false }).missing).toEqual(['right.0.shift']);

    const extra = new Map(a.stateDict()).set('bogus', zeros([1]));
    expect(() => b.loadStateDict(extra)).toThrow(/unexpected keys: bogus/);

    const wrong = new Map(a.stateDict()).set('left.scale', zeros([3])).set('right.0.scale', tensor([5, 5]));
    expect(() => b.loadStateDict(wrong)).toThrow(/"left.scale" expects \[2\] float32, got \[3\] float32/);
    // A failed load changes nothing (right.0.scale was valid but is not loaded either).
    expect([...b.stateDict().get('right.0.scale')!.dataSync()]).toEqual([1, 2]);
  });

  it('dispose frees parameters and buffers', () => {
    const m = new Pair();
    const tensors = [...m.stateDict().values()];
    m.dispose();
    expect(tensors.every((t) => t.disposed)).toBe(true);
  });

  it('Sequential composes shapes, indexes children and appends with names', () => {
    const s = new Sequential(new Linear(3, 4), new ReLU()).append(new Linear(4, 2), 'head');
    expect(s.length).toBe(3);
    expect(s.at(-1)).toBeInstanceOf(Linear);
    expect(s.outputShape([5, 3])).toEqual([5, 2]);
    expect([...s.stateDict().keys()]).toEqual(['0.weight', '0.bias', 'head.weight', 'head.bias']);
    expect(() => s.at(3)).toThrow(/index 3 out of range for 3 children/);
  });

  it('Conv2d and Linear validate arguments and initialise like PyTorch', () => {
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/groups 2 must divide inChannels 3/);
    expect(() => new Conv2d(3, 4, 0)).toThrow(/kernel must be an integer ≥ 1/);
    expect(() => new Linear(0, 2)).toThrow(/inFeatures must be a positive integer/);
    const conv = new Conv2d(4, 6, [3, 5], { stride: 2, padding: [1, 2], groups: 2, bias: false });
    expect(conv.weight.shape).toEqual([6, 2, 3, 5]);
    expect(conv.bias).toBeNull();
    expect(conv.kernelSize).toEqual([3, 5]);
    expect(conv.stride).toEqual([2, 2]);
    expect(conv.padding).toEqual([1, 2]);
    expect(conv.namedParameters().map(([n]) => n)).toEqual(['weight']);
    // kaiming_uniform(a=√5) is U(±1/√fan_in); the bias uses the same bound.
    const lin = new Linear(30, 20);
    const bound = 1 / Math.sqrt(30);
    const w = lin.weight.dataSync();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(Math.max(...lin.bias!.dataSync().map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(conv.outputShape([2, 4, 7, 9])).toEqual([2, 6, 4, 5]);
    expect(() => conv.outputShape([2, 3, 7, 9])).toThrow(/expected input \[N, 4, H, W\], got \[2, 3, 7, 9\]/);
  });
});
