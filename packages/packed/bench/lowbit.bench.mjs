// Low-bit inference benchmarks (contract: scripts/bench.mjs). On the Dawn adapter of this machine:
//   lowbit.gemv.<b> / lowbit.gemm.<b>  one low-bit GEMM launch (K = N = 1024; batch 1 / 128) with
//                                      b-bit weights and 8-bit activation codes, vs the fp32
//                                      gemm/matmul kernel on the same shapes (the reference column)
//   infer.lenet5.packed / .fp32        images/s of a LeNet-5-shaped model (random weights) at
//                                      batch 1 and 128: the packed runtime vs the same graph in fp32
//                                      kernels (conv/im2col + gemm/matmul + relu + max pool)
// Kernel timings record several launches in one pass and wait once. The machine's load drifts
// (2 cores shared with other jobs), so the configurations of one shape are timed round-robin,
// `repeats` rounds after a warm-up round, and each reports its median: a comparison within a
// round sees the same load. Inference timings include upload and read-back (what `infer` costs).
import {
  conv2dParams,
  convOutputSize,
  gemmKernel,
  gemmParams,
  im2colKernel,
  lowbitEpilogue,
  lowbitGemmDot4Kernel,
  lowbitGemmFloatKernel,
  lowbitGemmLaunch,
  maxPoolKernel,
  packCodes,
  packedRowLayout,
  pool2dParams,
  unaryKernel,
} from '@fracbits/kernels';
import { createGpuPlan, loadPackedModel, writePackedModel } from '@fracbits/packed';
import { createNodeDevice } from '@fracbits/packed/node';
import { uniformStream } from '@fracbits/tensor';

const K = 1024;
const N = 1024;
const BITS = [1, 2, 3, 4, 8];

const randomFloats = (n, r) => Float32Array.from({ length: n }, () => r() * 2 - 1);

/** A plan (see @fracbits/packed's Plan) of one kernel launch over the given buffers. */
function singleLaunch(kernel, buffers, params, defines, output) {
  return {
    n: 1,
    variant: 'float',
    buffers,
    steps: [{ layer: kernel.name, kernel, buffers: buffers.map((_, i) => i), params, defines }],
    input: output,
    output,
    inputLength: buffers[output].length,
    outputLength: buffers[output].length,
  };
}

/** Records `count` launches of a plan in one pass, submits and waits. */
function launchesOf(device, gpuPlan, count) {
  return async () => {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let i = 0; i < count; i++) gpuPlan.encode(pass);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
}

/** Median ms of each async function, timed round-robin (one warm-up round, then `rounds`). */
async function roundRobin(fns, rounds) {
  const times = fns.map(() => []);
  for (let round = 0; round <= rounds; round++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      if (round > 0) times[i].push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

async function gemmBenches(ctx, device, dot4) {
  const r = uniformStream(1);
  const out = [];
  const variants = dot4 ? ['dot4', 'float'] : ['float'];
  for (const [kind, rows] of [
    ['gemv', 1],
    ['gemm', ctx.quick ? 32 : 128],
  ]) {
    const launches = kind === 'gemv' ? 20 : 2;
    // fp32 reference: C [rows, N] = A [rows, K] · B [K, N].
    const fp32Params = gemmParams({
      m: rows,
      n: N,
      k: K,
      a: { row: K, col: 1 },
      b: { row: N, col: 1 },
      c: { row: N },
    });
    const fp32Buffers = [
      bufConst(randomFloats(rows * K, r)),
      bufConst(randomFloats(K * N, r)),
      bufConst(new Float32Array(1)),
      temp(rows * N),
    ];
    const plans = [await createGpuPlan(device, singleLaunch(gemmKernel, fp32Buffers, fp32Params, {}, 3))];
    const labels = [];
    for (const bits of BITS) {
      const channelBits = new Array(N).fill(bits);
      const codes = Uint8Array.from({ length: N * K }, () => Math.floor(r() * 2 ** bits));
      const words = packCodes(codes, K, channelBits, { rowAlign: 1 });
      const { rowInfo } = packedRowLayout(K, channelBits, 1);
      const epi = lowbitEpilogue(channelBits, new Float32Array(N).fill(1), null, 1 / 255);
      const launch = lowbitGemmLaunch({ rows, channels: N, positions: 1, k: K });
      for (const variant of variants) {
        const x =
          variant === 'dot4'
            ? Uint32Array.from({ length: (rows * K) / 4 }, () => Math.floor(r() * 2 ** 32))
            : Float32Array.from({ length: rows * K }, () => Math.floor(r() * 256));
        const kernel = variant === 'dot4' ? lowbitGemmDot4Kernel : lowbitGemmFloatKernel;
        const buffers = [bufConst(words), bufConst(rowInfo), bufConst(x), bufConst(epi), temp(rows * N)];
        plans.push(
          await createGpuPlan(device, singleLaunch(kernel, buffers, launch.params, launch.defines, 4)),
        );
        labels.push({ bits, variant, weightShare: words.byteLength / (4 * K * N) });
      }
    }
    const ms = (
      await roundRobin(
        plans.map((p) => launchesOf(device, p, launches)),
        ctx.repeats,
      )
    ).map((t) => t / launches);
    for (const p of plans) p.destroy();
    const fp32 = ms[0];
    labels.forEach(({ bits, variant, weightShare }, i) => {
      const primary = variant === variants[0];
      out.push({
        name: `lowbit.${kind}.${bits}${primary ? '' : `.${variant}`}`,
        value: ms[i + 1],
        unit: 'ms',
        reference: { value: fp32, label: 'fp32 gemm/matmul' },
        note: `${variant}, M=${rows} K=${K} N=${N}, A8; ${(fp32 / ms[i + 1]).toFixed(2)}× fp32; weights ${(weightShare * 100).toFixed(1)} % of fp32`,
      });
    });
  }
  return out;
}

const temp = (length) => ({ kind: 'temp', elem: 'f32', length });
const bufConst = (data) => ({ kind: 'const', data });

/** LeNet-5-shaped packed model, random codes: first conv / last fc W8, the rest W4, A4. */
export function packedLenet() {
  const r = uniformStream(2);
  const codes = (n, bits) => Uint8Array.from({ length: n }, () => Math.floor(r() * 2 ** bits));
  const w = (name, channels, k, bits, act) => ({
    name,
    weightBits: bits,
    activation: act ? { bits: act, clip: 2 } : null,
    codes: codes(channels * k, bits),
    bias: Array.from({ length: channels }, () => r() * 0.1),
  });
  return writePackedModel({
    input: { shape: [1, 28, 28] },
    layers: [
      { ...w('conv1', 6, 25, 8, null), op: 'conv', outChannels: 6, kernel: 5, padding: 2 },
      { name: 'relu1', op: 'relu' },
      { name: 'pool1', op: 'pool', kind: 'max', kernel: 2 },
      { ...w('conv2', 16, 150, 4, 4), op: 'conv', outChannels: 16, kernel: 5 },
      { name: 'relu2', op: 'relu' },
      { name: 'pool2', op: 'pool', kind: 'max', kernel: 2 },
      { name: 'flatten', op: 'flatten' },
      { ...w('fc1', 120, 400, 4, 4), op: 'linear', outFeatures: 120 },
      { name: 'relu3', op: 'relu' },
      { ...w('fc2', 84, 120, 4, 4), op: 'linear', outFeatures: 84 },
      { name: 'relu4', op: 'relu' },
      { ...w('fc3', 10, 84, 8, 4), op: 'linear', outFeatures: 10 },
    ],
  });
}

/** The same LeNet-5 graph as a plan of fp32 kernels: im2col + gemm/matmul, relu, max pool. */
export function fp32LenetPlan(n) {
  const r = uniformStream(3);
  const buffers = [];
  const steps = [];
  const temp = (length, elem = 'f32') => buffers.push({ kind: 'temp', elem, length }) - 1;
  const constant = (data) => buffers.push({ kind: 'const', data }) - 1;
  const launch = (layer, kernel, ids, params, defines = {}) =>
    steps.push({ layer, kernel, buffers: ids, params, defines });
  const input = temp(n * 784);
  let x = input;
  let shape = [1, 28, 28];
  const conv = (name, out, k, pad) => {
    const [c, h, wd] = shape;
    const g = {
      c,
      h,
      w: wd,
      kh: k,
      kw: k,
      sh: 1,
      sw: 1,
      ph: pad,
      pw: pad,
      dh: 1,
      dw: 1,
      ho: convOutputSize(h, k, 1, pad),
      wo: convOutputSize(wd, k, 1, pad),
    };
    const P = g.ho * g.wo;
    const K = c * k * k;
    const col = temp(n * K * P);
    launch(name, im2colKernel, [x, col], conv2dParams(g, 0, n));
    const y = temp(n * out * P);
    const params = gemmParams({
      m: out,
      n: P,
      k: K,
      batch1: n,
      a: { row: K, col: 1 },
      b: { row: P, col: 1, batch1: K * P },
      c: { row: P, batch1: out * P },
      bias: { row: 1, col: 0 },
    });
    launch(
      name,
      gemmKernel,
      [constant(randomFloats(out * K, r)), col, constant(randomFloats(out, r)), y],
      params,
    );
    x = y;
    shape = [out, g.ho, g.wo];
  };
  const linear = (name, out) => {
    const K = shape.reduce((a, b) => a * b, 1);
    const y = temp(n * out);
    const params = gemmParams({
      m: n,
      n: out,
      k: K,
      a: { row: K, col: 1 },
      b: { row: 1, col: K },
      c: { row: out },
      bias: { row: 0, col: 1 },
    });
    launch(
      name,
      gemmKernel,
      [x, constant(randomFloats(out * K, r)), constant(randomFloats(out, r)), y],
      params,
    );
    x = y;
    shape = [out];
  };
  const relu = (name) => {
    const len = n * shape.reduce((a, b) => a * b, 1);
    const y = temp(len);
    launch(name, unaryKernel, [x, y], { n: len, alpha: 0, beta: 0 }, { op: 'relu' });
    x = y;
  };
  const pool = (name) => {
    const [c, h, wd] = shape;
    const ho = Math.floor(h / 2);
    const wo = Math.floor(wd / 2);
    const y = temp(n * c * ho * wo);
    const params = pool2dParams({
      planes: n * c,
      h,
      w: wd,
      ho,
      wo,
      kh: 2,
      kw: 2,
      sh: 2,
      sw: 2,
      ph: 0,
      pw: 0,
    });
    launch(name, maxPoolKernel, [x, y, temp(n * c * ho * wo, 'i32')], params);
    x = y;
    shape = [c, ho, wo];
  };
  conv('conv1', 6, 5, 2);
  relu('relu1');
  pool('pool1');
  conv('conv2', 16, 5, 0);
  relu('relu2');
  pool('pool2');
  linear('fc1', 120);
  relu('relu3');
  linear('fc2', 84);
  relu('relu4');
  linear('fc3', 10);
  return {
    n,
    variant: 'float',
    buffers,
    steps,
    input,
    output: x,
    inputLength: n * 784,
    outputLength: n * 10,
  };
}

async function lenetBenches(ctx, device, features) {
  const out = [];
  const packed = await loadPackedModel(packedLenet(), device, { wgslLanguageFeatures: features });
  const r = uniformStream(4);
  for (const n of [1, ctx.quick ? 32 : 128]) {
    const images = Float32Array.from({ length: n * 784 }, () => r());
    const fp32 = await createGpuPlan(device, fp32LenetPlan(n));
    // A batch-1 inference takes about a millisecond: more rounds for a stable median.
    const rounds = n === 1 ? 6 * ctx.repeats : ctx.repeats;
    const [packedMs, fp32Ms] = await roundRobin([() => packed.infer(images), () => fp32.run(images)], rounds);
    fp32.destroy();
    const suffix = n === 1 ? '' : `.b${n}`;
    out.push({
      name: `infer.lenet5.packed${suffix}`,
      value: (n * 1000) / packedMs,
      unit: 'images/s',
      reference: { value: (n * 1000) / fp32Ms, label: 'infer.lenet5.fp32' },
      note: `batch ${n}, ${packed.variant}, W4A4 (conv1/fc3 W8); ${(fp32Ms / packedMs).toFixed(2)}× fp32`,
    });
    out.push({
      name: `infer.lenet5.fp32${suffix}`,
      value: (n * 1000) / fp32Ms,
      unit: 'images/s',
      note: `batch ${n}, fp32 kernels`,
    });
  }
  packed.dispose();
  return out;
}

export async function run(ctx) {
  const { device, adapter, wgslLanguageFeatures } = await createNodeDevice();
  const info = adapter.info ?? {};
  const name =
    [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'webgpu';
  const dot4 = wgslLanguageFeatures.has('packed_4x8_integer_dot_product');
  const entries = [
    ...(await gemmBenches(ctx, device, dot4)),
    ...(await lenetBenches(ctx, device, wgslLanguageFeatures)),
  ];
  device.destroy();
  return entries.map((e) => ({ ...e, adapter: name }));
}
