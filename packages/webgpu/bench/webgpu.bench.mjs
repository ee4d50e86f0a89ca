// WebGPU benchmarks (`pnpm bench`; imports the built packages): fp32 peak estimate, GEMM 1024³,
// convnet's conv layers as GEMMs, a fake-quantisation pass over 16 M floats against a plain copy,
// dispatch and submit overheads, and one fp32 training step of convnet and lenet5 at batch 128.
//
// Values are wall-clock medians. On lavapipe the "GPU" is this machine's CPU, shared with the
// JS thread (which busy-polls while awaiting the GPU) and with any other job; each note also
// gives the same work per CPU-second of lavapipe's worker threads ("2-core equivalent"), which
// stays meaningful when the machine is loaded. Fractions are of the fp32.peak entry.
import { readdirSync, readFileSync } from 'node:fs';
import {
  defineKernel,
  fracParams,
  fracQuantKernel,
  gemmKernel,
  gemmParams,
  setGemmVariant,
  unaryKernel,
} from '@fracbits/kernels';
import * as T from '@fracbits/tensor';
import { createNodeBackend } from '@fracbits/webgpu/node';

/** CPU ms of this process's threads other than the JS thread (lavapipe's workers), Linux only. */
function workerCpuMs() {
  try {
    let ticks = 0;
    for (const t of readdirSync('/proc/self/task')) {
      if (t === String(process.pid)) continue;
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    }
    return ticks * 10;
  } catch {
    return Number.NaN;
  }
}

/** Median wall ms of `fn` (awaited), and the worker CPU ms over all repeats. */
async function timed(ctx, fn, repeats = ctx.repeats) {
  await fn(); // warm-up: pipeline creation, pool
  const cpu0 = workerCpuMs();
  const wall = await ctx.median(fn, repeats);
  const cpu = (workerCpuMs() - cpu0) / repeats;
  return { wall, cpu };
}

const CORES = 2;
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

function kernel(name, bindings, params, source, dispatch) {
  return defineKernel(
    {
      name,
      entryPoint: 'main',
      bindings,
      params,
      workgroupSize: ['64', '1', '1'],
      features: [],
      defines: {},
      source,
    },
    { dispatch, cpu: () => {} },
  );
}

/** Independent FMA chains, no memory traffic in the loop: an estimate of fp32 peak. */
const peakKernel = kernel(
  'bench/fp32_peak',
  [
    { name: 'x', access: 'read', elem: 'f32' },
    { name: 'y', access: 'read_write', elem: 'f32' },
  ],
  [{ name: 'iters', type: 'u32' }],
  `@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let m = vec4f(f32(gid.x) * 1e-9 + 0.999999);
  let c = vec4f(1e-7);
  var a0 = vec4f(x[0]); var a1 = a0 + 1.0; var a2 = a0 + 2.0; var a3 = a0 + 3.0;
  var a4 = a0 + 4.0; var a5 = a0 + 5.0; var a6 = a0 + 6.0; var a7 = a0 + 7.0;
  for (var k: u32 = 0u; k < params.iters; k = k + 1u) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
  }
  y[gid.x] = dot(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7, vec4f(1.0));
}`,
  (p) => [p.groups, 1, 1],
);

/** An empty kernel for dispatch overhead. */
const emptyKernel = kernel(
  'bench/empty',
  [{ name: 'y', access: 'read_write', elem: 'f32' }],
  [{ name: 'n', type: 'u32' }],
  `@compute @workgroup_size(WG_X, WG_Y, WG_Z)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x < params.n) { y[gid.x] = 1.0; }
}`,
  () => [1, 1, 1],
);

function upload(backend, data) {
  const b = backend.allocate('float32', data.length);
  backend.write(b, data);
  return b;
}

function random(n, seed) {
  const rng = new T.Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniformRange(-1, 1));
}

async function peak(ctx, backend) {
  const groups = 256;
  const iters = ctx.quick ? 1024 : 8192;
  const x = upload(backend, Float32Array.of(1));
  const y = backend.allocate('float32', groups * 64);
  const { wall, cpu } = await timed(ctx, async () => {
    backend.launch(peakKernel, [x, y], { iters, groups });
    await backend.sync();
  });
  const flops = groups * 64 * iters * 8 * 4 * 2;
  backend.release(x);
  backend.release(y);
  return { gflops: flops / wall / 1e6, equivalent: (CORES * flops) / cpu / 1e6 };
}

async function gemm1024(ctx, backend, variant) {
  const n = ctx.quick ? 512 : 1024;
  const a = upload(backend, random(n * n, 1));
  const b = upload(backend, random(n * n, 2));
  const c = backend.allocate('float32', n * n);
  const p = gemmParams({ m: n, n, k: n, a: { row: n, col: 1 }, b: { row: n, col: 1 }, c: { row: n } });
  const previous = setGemmVariant(variant);
  const { wall, cpu } = await timed(ctx, async () => {
    backend.launch(gemmKernel, [a, b, b, c], p);
    await backend.sync();
  });
  setGemmVariant(previous);
  for (const t of [a, b, c]) backend.release(t);
  const flops = 2 * n ** 3;
  return { n, gflops: flops / wall / 1e6, equivalent: (CORES * flops) / cpu / 1e6, ms: wall };
}

/** convnet's two convolutions at batch 128, forward, through the conv2d op (im2col + GEMM). */
async function convLayers(ctx, backend) {
  const batch = ctx.quick ? 16 : 128;
  const layers = [
    { name: 'conv1 1→32 3×3 28×28', x: [batch, 1, 28, 28], w: [32, 1, 3, 3] },
    { name: 'conv2 32→64 3×3 14×14', x: [batch, 32, 14, 14], w: [64, 32, 3, 3] },
  ];
  const out = [];
  for (const l of layers) {
    const x = T.tensor(
      random(
        l.x.reduce((p, q) => p * q, 1),
        3,
      ),
      l.x,
      { backend },
    );
    const w = T.tensor(
      random(
        l.w.reduce((p, q) => p * q, 1),
        4,
      ),
      l.w,
      { backend },
    );
    const bias = T.tensor(random(l.w[0], 5), [l.w[0]], { backend });
    const { wall, cpu } = await timed(ctx, async () => {
      const y = T.noGrad(() => T.conv2d(x, w, bias, { padding: 1 }));
      await backend.sync();
      y.dispose();
    });
    const [, cin, h, wd] = l.x;
    const flops = 2 * batch * l.w[0] * cin * 9 * h * wd;
    out.push({ ...l, ms: wall, gflops: flops / wall / 1e6, equivalent: (CORES * flops) / cpu / 1e6, flops });
    for (const t of [x, w, bias]) t.dispose();
  }
  return { batch, layers: out };
}

async function streaming(ctx, backend) {
  const n = ctx.quick ? 1 << 22 : 1 << 24;
  const u = upload(
    backend,
    Float32Array.from({ length: n }, (_, i) => (i % 1000) / 1000),
  );
  const lam = upload(backend, Float32Array.of(3.4));
  const out = backend.allocate('float32', n);
  const dlam = backend.allocate('float32', n);
  const fq = await timed(ctx, async () => {
    backend.launch(fracQuantKernel, [u, lam, out, dlam], fracParams([n], 1, { zero: 0 }));
    await backend.sync();
  });
  const copy = await timed(ctx, async () => {
    backend.launch(unaryKernel, [u, out], { n, alpha: 0, beta: 0 }, { op: 'identity' });
    await backend.sync();
  });
  for (const t of [u, lam, out, dlam]) backend.release(t);
  return {
    n,
    fq: { gbs: (12 * n) / fq.wall / 1e6, equivalent: (CORES * 12 * n) / fq.cpu / 1e6, ms: fq.wall },
    copy: { gbs: (8 * n) / copy.wall / 1e6, equivalent: (CORES * 8 * n) / copy.cpu / 1e6, ms: copy.wall },
  };
}

async function overheads(ctx, backend) {
  const y = backend.allocate('float32', 64);
  const count = 2000;
  const dispatch = await timed(ctx, async () => {
    for (let i = 0; i < count; i++) backend.launch(emptyKernel, [y], { n: 64 });
    await backend.sync();
  });
  const rounds = 200;
  const roundTrip = await timed(ctx, async () => {
    for (let i = 0; i < rounds; i++) {
      backend.launch(emptyKernel, [y], { n: 64 });
      await backend.sync();
    }
  });
  backend.release(y);
  return { dispatchUs: (dispatch.wall * 1000) / count, roundTripUs: (roundTrip.wall * 1000) / rounds };
}

/** One fp32 SGD training step (forward, backward, update) of a zoo model at batch 128. */
async function trainStep(ctx, backend, nn, name) {
  const batch = 128;
  const previous = T.getBackend();
  T.setBackend(backend);
  try {
    const model = nn.createModel(name, { seed: 1 });
    model.train();
    const opt = new nn.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const x = T.tensor(random(batch * 784, 7), [batch, 1, 28, 28]);
    const labels = T.tensor(
      Int32Array.from({ length: batch }, (_, i) => i % 10),
      [batch],
      { dtype: 'int32' },
    );
    const step = async () => {
      const loss = T.scope(() => {
        const l = T.crossEntropy(model.call(x), labels);
        T.backward(l);
        opt.step();
        opt.zeroGrad();
        return l;
      });
      await loss.item();
      loss.dispose();
    };
    await step();
    const { wall, cpu } = await timed(ctx, step, ctx.quick ? 2 : ctx.repeats);
    x.dispose();
    labels.dispose();
    model.dispose();
    return { ms: wall, imagesPerSecond: (batch * 1000) / wall, cpuMs: cpu };
  } finally {
    T.setBackend(previous);
  }
}

/**
 * @fracbits/nn (built), for the training-step entries. It is not a dependency of this package
 * (nn sits beside webgpu, both on tensor), so the workspace copy is loaded by path; it resolves
 * @fracbits/tensor to the same built module as this file does.
 */
async function loadNn() {
  for (const spec of ['@fracbits/nn', new URL('../../nn/dist/index.js', import.meta.url).href]) {
    try {
      const nn = await import(spec);
      if (typeof nn.createModel === 'function' && typeof nn.SGD === 'function') return nn;
    } catch {
      // not installed or not built: try the next location
    }
  }
  return null;
}

export async function run(ctx) {
  const backend = await createNodeBackend();
  const adapter = backend.description;
  const entries = [];
  const add = (name, value, unit, note) => entries.push({ name, value, unit, adapter, note });
  try {
    const p = await peak(ctx, backend);
    add(
      'fp32.peak',
      p.gflops,
      'GFLOP/s',
      `independent FMA chains, no memory traffic; 2-core equivalent ${fmt(p.equivalent)}`,
    );
    const frac = (v) => `${fmt((100 * v) / p.gflops, 0)} % of fp32.peak`;

    const sg = await gemm1024(ctx, backend, 'auto');
    const plain = await gemm1024(ctx, backend, 'plain');
    add(
      `gemm.${sg.n}`,
      sg.gflops,
      'GFLOP/s',
      `${frac(sg.gflops)}; gemm/matmul_sg where the device has subgroups; 2-core equivalent ${fmt(sg.equivalent)}; plain gemm/matmul ${fmt(plain.gflops)} (equivalent ${fmt(plain.equivalent)})`,
    );

    const conv = await convLayers(ctx, backend);
    const totalFlops = conv.layers.reduce((s, l) => s + l.flops, 0);
    const totalMs = conv.layers.reduce((s, l) => s + l.ms, 0);
    add(
      'gemm.conv',
      totalFlops / totalMs / 1e6,
      'GFLOP/s',
      `convnet conv1+conv2 forward (conv2d op: im2col + GEMM), batch ${conv.batch}; ${conv.layers
        .map((l) => `${l.name}: ${fmt(l.ms)} ms, ${fmt(l.gflops)} GFLOP/s (equiv. ${fmt(l.equivalent)})`)
        .join('; ')}; ${frac(totalFlops / totalMs / 1e6)}`,
    );

    const s = await streaming(ctx, backend);
    add(
      'elementwise.fq',
      s.fq.gbs,
      'GB/s',
      `quant/frac over ${s.n / 2 ** 20} M floats (read 4 B, write 8 B per element), ${fmt(s.fq.ms)} ms; ${fmt((100 * s.fq.gbs) / s.copy.gbs, 0)} % of elementwise.copy; 2-core equivalent ${fmt(s.fq.equivalent)}`,
    );
    add(
      'elementwise.copy',
      s.copy.gbs,
      'GB/s',
      `unary identity over ${s.n / 2 ** 20} M floats (bandwidth reference); 2-core equivalent ${fmt(s.copy.equivalent)}`,
    );

    const o = await overheads(ctx, backend);
    add(
      'dispatch.overhead',
      o.dispatchUs,
      'µs/dispatch',
      `2000 empty dispatches batched ${backend.maxDispatchesPerSubmit} per submit`,
    );
    add('submit.roundtrip', o.roundTripUs, 'µs', 'one dispatch, submit and wait for completion');

    const nn = await loadNn();
    if (nn) {
      for (const model of ['convnet', 'lenet5']) {
        const t = await trainStep(ctx, backend, nn, model);
        add(
          `train-step.${model}.b128`,
          t.ms,
          'ms',
          `fp32 SGD step (forward, backward, update, loss read back), ${fmt(t.imagesPerSecond, 0)} images/s; lavapipe CPU ${fmt(t.cpuMs, 0)} ms per step`,
        );
      }
    }
  } finally {
    backend.destroy();
  }
  return entries;
}
