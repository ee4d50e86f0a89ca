import * as T from '@fracbits/tensor';
import { expect, it } from 'vitest';
import { createNodeBackend } from '../src/node.js';

const gpu = await createNodeBackend();
const cpu = new T.CpuBackend();

function data(shape: number[], seed: number) {
  const rng = new T.Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniformRange(-3, 3));
}

async function both(name: string, make: (b: T.Backend) => T.Tensor | T.Tensor[], exact: boolean) {
  const c = [make(cpu)].flat();
  const g = [make(gpu)].flat();
  for (let i = 0; i < c.length; i++) {
    const cv = await c[i].data();
    const gv = await g[i].data();
    expect(g[i].shape, name).toEqual(c[i].shape);
    let worst = 0;
    for (let k = 0; k < cv.length; k++) {
      const d = Math.abs(cv[k] - gv[k]);
      if (exact && !(cv[k] === gv[k] || (Number.isNaN(cv[k]) && Number.isNaN(gv[k]))))
        throw new Error(`${name}[${i}] elem ${k}: cpu ${cv[k]} gpu ${gv[k]}`);
      worst = Math.max(worst, d / (1e-4 + Math.abs(cv[k])));
    }
    let wk = 0;
    let wv = 0;
    for (let k = 0; k < cv.length; k++) {
      const r = Math.abs(cv[k] - gv[k]) / (1e-4 + Math.abs(cv[k]));
      if (r > wv) {
        wv = r;
        wk = k;
      }
    }
    console.log(
      `${name}[${i}] n=${cv.length} worst rel ${worst.toExponential(2)} at ${wk}: cpu ${cv[wk]} gpu ${gv[wk]}`,
    );
    expect(worst, name).toBeLessThan(2e-4);
  }
}

it('h1 ops on GPU match CPU', async () => {
  const t = (b: T.Backend, shape: number[], seed = 1, requiresGrad = false) =>
    T.tensor(data(shape, seed), shape, { backend: b, requiresGrad });
  const ti = (b: T.Backend, v: number[]) => T.tensor(v, [v.length], { backend: b, dtype: 'int32' });
  await both('permute', (b) => T.permute(t(b, [2, 3, 1, 5, 2, 3]), [3, 0, 5, 2, 4, 1]), true);
  await both('permute-big', (b) => T.permute(t(b, [7, 300, 67]), [2, 0, 1]), true);
  await both(
    'permute-int',
    (b) =>
      T.permute(
        T.tensor(
          Int32Array.from({ length: 30 }, (_, i) => -i * 99991),
          [5, 6],
          { backend: b },
        ),
        [1, 0],
      ),
    true,
  );
  await both('slice', (b) => T.slice(t(b, [9, 7, 5]), [1, 0, 2], [9, 7, 5], [3, 2, 2]), true);
  await both(
    'pad',
    (b) =>
      T.pad(
        t(b, [3, 1, 5]),
        [
          [1, 2],
          [0, 3],
          [2, 0],
        ],
        0.75,
      ),
    true,
  );
  await both(
    'pad-int',
    (b) => T.pad(T.tensor(Int32Array.from([1, -2, 3]), [3], { backend: b }), [[2, 1]], -7),
    true,
  );
  await both(
    'concat',
    (b) => T.concat([t(b, [3, 1, 5], 1), t(b, [3, 4, 5], 2), t(b, [3, 0, 5], 3), t(b, [3, 2, 5], 4)], 1),
    true,
  );
  for (const axis of [0, 1, 2]) {
    await both(`softmax${axis}`, (b) => T.softmax(t(b, [3, 70, 5]), axis), false);
    await both(`logSoftmax${axis}`, (b) => T.logSoftmax(t(b, [3, 70, 5]), axis), false);
  }
  await both('argmax', (b) => T.argmax(t(b, [3, 70, 5]), 1), true);
  await both(
    'argmax-ties',
    (b) => T.argmax(T.tensor([1, 5, 5, -2, Number.NaN, 7, Number.NaN, 3], [2, 4], { backend: b }), 1),
    true,
  );
  await both('oneHot', (b) => T.oneHot(ti(b, [2, 0, -1, 9, 3]), 4), true);
  await both(
    'ce',
    (b) =>
      T.crossEntropy(
        t(b, [300, 10]),
        ti(
          b,
          Array.from({ length: 300 }, (_, i) => (i * 7) % 10),
        ),
        { reduction: 'none' },
      ),
    false,
  );
  await both(
    'ce-clamped',
    (b) => {
      const x = t(b, [3, 4]);
      // bypass validation on purpose to check the kernel's clamp: labels only validated on CPU backend
      return b === gpu
        ? T.crossEntropy(x, ti(b, [-3, 1, 9]), { reduction: 'none' })
        : T.crossEntropy(x, ti(b, [0, 1, 3]), { reduction: 'none' });
    },
    false,
  );
  await both(
    'round',
    (b) => [
      T.round(T.tensor([2.5, -2.5, 3.5, 0.5, -0.5, 1.5], [6], { backend: b })),
      T.floor(t(b, [7])),
      T.ceil(t(b, [7])),
      T.sign(t(b, [7])),
    ],
    true,
  );
  // gradients
  const grads = (b: T.Backend) => {
    const x = t(b, [6, 10], 5, true);
    const y = t(b, [6, 3], 6, true);
    const lab = ti(b, [1, 2, 3, 4, 5, 9]);
    const z = T.concat(
      [
        T.slice(
          T.permute(
            T.pad(
              x,
              [
                [1, 0],
                [0, 2],
              ],
              0.5,
            ),
            [1, 0],
          ),
          [0, 1],
          [12, 7],
          [1, 1],
        ),
        T.transpose(y, 0, 1),
      ],
      0,
    );
    const l = T.add(
      T.crossEntropy(T.permute(z, [1, 0]), lab),
      T.sum(T.mul(T.softmax(x, 0), T.logSoftmax(x, 1))),
    );
    T.backward(l);
    return [l, x.grad!, y.grad!];
  };
  await both('grads', grads, false);
}, 120_000);
