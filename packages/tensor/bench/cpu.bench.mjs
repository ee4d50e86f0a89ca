// CPU backend benchmarks (`pnpm bench`, which builds first and imports the built package): GEMM
// throughput through the matmul op (256³ and 1024³), conv2d forward times for the convnet's layer
// shapes (batch 128) and one LeNet-5 training step. Values are wall-clock medians; each note also
// gives the median CPU time of this process, which stays meaningful on a machine shared with
// other jobs (on 2 cores under load, wall time can be twice the CPU time).
import {
  backward,
  CpuBackend,
  conv2d,
  linear,
  matmul,
  maxPool2d,
  noGrad,
  Rng,
  relu,
  reshape,
  scope,
  setBackend,
  sum,
  tensor,
} from '@fracbits/tensor';

const ADAPTER = 'cpu (TypeScript twins, 1 thread)';

function random(shape, seed) {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    Float32Array.from({ length: n }, () => rng.uniformRange(-1, 1)),
    shape,
  );
}

/** Runs `fn` once to warm the JIT, then returns the median wall and CPU milliseconds. */
async function measure(ctx, fn, repeats) {
  fn();
  const cpu = [];
  const wall = await ctx.median(() => {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    cpu.push((used.user + used.system) / 1000);
  }, repeats);
  cpu.sort((a, b) => a - b);
  return { wall, cpu: cpu[Math.floor(cpu.length / 2)] };
}

async function gemm(ctx, n) {
  const a = random([n, n], 1);
  const b = random([n, n], 2);
  const flops = 2 * n ** 3;
  const t = await measure(
    ctx,
    () => noGrad(() => matmul(a, b).dispose()),
    n >= 1024 && ctx.quick ? 1 : undefined,
  );
  return {
    name: `cpu.gemm.${n}`,
    value: flops / (t.wall * 1e6),
    unit: 'GFLOP/s',
    adapter: ADAPTER,
    note: `matmul ${n}×${n}×${n}: median ${t.wall.toFixed(1)} ms wall, ${t.cpu.toFixed(1)} ms CPU (${(flops / (t.cpu * 1e6)).toFixed(2)} GFLOP/s per CPU time)`,
  };
}

async function conv(ctx, name, [n, c, h, w], o, k) {
  const x = random([n, c, h, w], 3);
  const weight = random([o, c, k, k], 4);
  const bias = random([o], 5);
  const padding = (k - 1) / 2; // 'same' output size h×w
  const flops = 2 * n * o * h * w * c * k * k;
  const t = await measure(ctx, () => noGrad(() => conv2d(x, weight, bias, { padding }).dispose()));
  return {
    name,
    value: t.wall,
    unit: 'ms',
    adapter: ADAPTER,
    note: `conv2d forward ${c}→${o} ${k}×${k} on ${h}×${w}, batch ${n}: ${t.cpu.toFixed(1)} ms CPU (${(flops / (t.cpu * 1e6)).toFixed(2)} GFLOP/s)`,
  };
}

/** LeNet-5 forward + backward for one batch of 128 (no optimizer step): a per-epoch estimate. */
async function lenetStep(ctx) {
  const param = (shape, seed) => {
    const t = random(shape, seed);
    t.requiresGrad = true;
    return t;
  };
  const p = {
    c1: param([6, 1, 5, 5], 10),
    b1: param([6], 11),
    c2: param([16, 6, 5, 5], 12),
    b2: param([16], 13),
    f1: param([120, 400], 14),
    g1: param([120], 15),
    f2: param([84, 120], 16),
    g2: param([84], 17),
    f3: param([10, 84], 18),
    g3: param([10], 19),
  };
  const x = random([128, 1, 28, 28], 20);
  const step = () =>
    scope(() => {
      let h = maxPool2d(relu(conv2d(x, p.c1, p.b1, { padding: 2 })), { kernel: 2 });
      h = maxPool2d(relu(conv2d(h, p.c2, p.b2)), { kernel: 2 });
      h = relu(linear(reshape(h, [128, 400]), p.f1, p.g1));
      h = relu(linear(h, p.f2, p.g2));
      backward(sum(linear(h, p.f3, p.g3)));
      for (const t of Object.values(p)) {
        t.grad?.dispose();
        t.grad = null;
      }
    });
  const t = await measure(ctx, step);
  const steps = Math.ceil(60000 / 128);
  return {
    name: 'cpu.lenet5.step128',
    value: t.wall,
    unit: 'ms',
    adapter: ADAPTER,
    note: `LeNet-5 forward+backward, batch 128: ${t.cpu.toFixed(1)} ms CPU (≈ ${((t.cpu * steps) / 1000).toFixed(0)} s of CPU per 60k-image epoch, optimizer excluded)`,
  };
}

export async function run(ctx) {
  setBackend(new CpuBackend());
  return [
    await gemm(ctx, 256),
    await gemm(ctx, 1024),
    await conv(ctx, 'cpu.conv2d.1to32.28', [128, 1, 28, 28], 32, 3),
    await conv(ctx, 'cpu.conv2d.32to64.14', [128, 32, 14, 14], 64, 3),
    await lenetStep(ctx),
  ];
}
