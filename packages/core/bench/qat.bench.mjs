// QAT training-step benchmarks (contract: scripts/bench.mjs), on the Dawn adapter of this machine:
//   train-step.convnet.b128.uniform   one uniform-QAT step of convnet at batch 128 (W3A3, pinned
//                                     first/last layers, fixed integer bits): forward, backward,
//                                     SGD update, loss read back
//   train-step.convnet.b128.fracbits  one FracBits search step of the same model: layer-wise
//                                     fractional λ (interpolated quantizers), the budget penalty
//                                     (λ read back, cost and its gradient) — what runFracBits does
//   (the same two for lenet5, for comparison with the results file)
// The target: the FracBits step costs ≤ 1.15× the uniform step (a naive PyTorch
// two-quantizer version costs ≈ 1.33×). The two variants of one model are timed round-robin
// (`repeats` rounds after a warm-up), so they see the same machine load; each reports its median
// and the fracbits entry reports the ratio of the medians.

import { BudgetPenalty, layerInfos, quantizeModel } from '@fracbits/core';
import { bitopsModel, resolveTarget } from '@fracbits/cost';
import { createModel, crossEntropyLoss, SGD, splitDecay } from '@fracbits/nn';
import * as T from '@fracbits/tensor';
import { createNodeBackend } from '@fracbits/webgpu/node';

const BATCH = 128;
const BITS = 3;

function randomImages(n, seed) {
  return T.fill(n, T.uniformStream(seed));
}

/** A quantized model with its optimizer and one training step (uniform QAT or FracBits search). */
function makeStep(modelName, method) {
  const inputShape = [1, 28, 28];
  const model = createModel(modelName, { seed: 1 });
  quantizeModel(model, {
    targetBits: BITS,
    granularity: 'layer',
    bitsRange: [1, 8],
    inputShape,
    mode: method === 'fracbits' ? 'search' : 'fixed',
  });
  model.train();
  const optimizer = new SGD(splitDecay(model, 5e-4), { lr: 0.01, momentum: 0.9, nesterov: true });
  const x = T.tensor(randomImages(BATCH * 784, 7), [BATCH, ...inputShape]);
  const y = T.tensor(
    Int32Array.from({ length: BATCH }, (_, i) => i % 10),
    [BATCH],
    { dtype: 'int32' },
  );
  let penalty = null;
  if (method === 'fracbits') {
    const infos = layerInfos(model, inputShape);
    const costModel = bitopsModel({ unit: 'MBitOps' });
    const target = resolveTarget(costModel, infos, { kind: 'uniform', bits: BITS });
    penalty = new BudgetPenalty(model, infos, [{ model: costModel, target, kappa: 1 }]);
  }
  const params = model.parameters();
  const step = async () => {
    const reading = penalty ? await penalty.read() : null;
    const loss = T.scope(() => {
      T.zeroGrad(params);
      const task = crossEntropyLoss(model.call(x), y);
      T.backward(reading ? T.add(task, penalty.loss(reading)) : task);
      optimizer.step();
      optimizer.zeroGrad();
      return task.detach();
    });
    await loss.item();
    loss.dispose();
  };
  const dispose = () => {
    x.dispose();
    y.dispose();
    model.dispose();
  };
  return { step, dispose };
}

/** Round-robin medians (ms) of the named steps. */
async function roundRobin(steps, rounds) {
  const times = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  for (const s of Object.values(steps)) await s.step(); // warm-up: pipelines, pool
  for (let r = 0; r < rounds; r++) {
    for (const [name, s] of Object.entries(steps)) {
      const t0 = performance.now();
      await s.step();
      times[name].push(performance.now() - t0);
    }
  }
  const median = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export async function run(ctx) {
  const backend = await createNodeBackend();
  const adapter = backend.description;
  const previous = T.getBackend();
  T.setBackend(backend);
  const entries = [];
  try {
    for (const modelName of ['convnet', 'lenet5']) {
      const steps = { uniform: makeStep(modelName, 'uniform'), fracbits: makeStep(modelName, 'fracbits') };
      try {
        const ms = await roundRobin(steps, ctx.quick ? 2 : Math.max(ctx.repeats, 7));
        const ratio = ms.fracbits / ms.uniform;
        const name = `train-step.${modelName}.b${BATCH}`;
        entries.push({
          name: `${name}.uniform`,
          value: ms.uniform,
          unit: 'ms',
          adapter,
          note: `uniform QAT W${BITS}A${BITS} step (forward, backward, update, loss read back)`,
        });
        entries.push({
          name: `${name}.fracbits`,
          value: ms.fracbits,
          unit: 'ms',
          adapter,
          note: `FracBits search step, layer-wise λ + BitOps penalty: ${ratio.toFixed(3)}× the uniform step (target ≤ 1.15×)`,
          reference: { value: 1.15 * ms.uniform, label: '1.15× uniform (issue target)' },
        });
      } finally {
        for (const s of Object.values(steps)) s.dispose();
      }
    }
  } finally {
    T.setBackend(previous);
    backend.destroy();
  }
  return entries;
}
