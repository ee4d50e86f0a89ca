/**
 * Turns a packed model into a launch plan: a list of kernel launches (descriptors from
 * @fracbits/kernels) over numbered buffers. The same plan runs on the GPU (gpu.ts) and on the
 * CPU twins (cpu.ts), so the CPU runtime computes exactly what the WGSL computes.
 *
 * Per conv/linear layer: quantize + im2col of the input (PACT codes, packed 4×8 for the dot4
 * variant, as floats for the float variant; the plain values for a float-input layer), then the
 * low-bit GEMM with the dequantization, bias and (when a ReLU is the layer's only consumer) the
 * ReLU fused into its epilogue. Between layers activations are float32 NCHW.
 */
import {
  avgPoolKernel,
  batchNormApplyKernel,
  binaryKernel,
  binaryParams,
  type Conv2dGeometry,
  codeMax,
  type Defines,
  type KernelDescriptor,
  lowbitEpilogue,
  lowbitGemmDot4Kernel,
  lowbitGemmFloatKernel,
  lowbitGemmLaunch,
  lowbitIm2colKernel,
  lowbitIm2colPackedKernel,
  lowbitIm2colParams,
  lowbitSegmentWords,
  maxPoolKernel,
  type Params,
  pool2dParams,
  unaryKernel,
} from '@fracbits/kernels';
import {
  channelsOf,
  elements,
  INPUT_NAME,
  type PackedLayer,
  rowLength,
  type WeightedLayer,
} from './manifest.js';
import type { PackedModel } from './reader.js';

/**
 * How quantized layers compute: `dot4` packs activation codes four to a word and uses
 * dot4U8Packed (needs the WGSL language feature packed_4x8_integer_dot_product); `float` turns
 * codes into floats and sums exact products in float32 chunks. Both give the same integer
 * accumulators, hence the same outputs. Float-input layers always use the float kernel.
 */
export type LowbitVariant = 'dot4' | 'float';

export type PlanBuffer =
  | { readonly kind: 'const'; readonly data: Uint32Array | Float32Array }
  | { readonly kind: 'temp'; readonly elem: 'u32' | 'i32' | 'f32'; readonly length: number };

export interface PlanStep {
  /** The manifest layer this launch belongs to. */
  readonly layer: string;
  readonly kernel: KernelDescriptor;
  /** Buffer ids in binding order. */
  readonly buffers: readonly number[];
  readonly params: Params;
  readonly defines: Defines;
}

export interface Plan {
  /** Samples per batch. */
  readonly n: number;
  readonly variant: LowbitVariant;
  /** Buffers by id; constants (weights, epilogues, BN parameters) come first and are shared. */
  readonly buffers: readonly PlanBuffer[];
  readonly steps: readonly PlanStep[];
  readonly input: number;
  readonly output: number;
  /** Elements of the input and output (n × per-sample size). */
  readonly inputLength: number;
  readonly outputLength: number;
}

/** The per-model part of every plan: constant buffers, built once per variant. */
export interface CompiledModel {
  readonly model: PackedModel;
  readonly variant: LowbitVariant;
  readonly constants: readonly (Uint32Array | Float32Array)[];
  /** Constant ids per layer: [words, rowInfo, epi] or [mean, variance, gamma, beta]. */
  readonly layerConstants: ReadonlyMap<string, readonly number[]>;
  /** Layers whose ReLU consumer is fused into their epilogue, and those ReLUs. */
  readonly fusedRelu: ReadonlySet<string>;
}

function consumers(layers: readonly PackedLayer[], output: string): Map<string, number> {
  const count = new Map<string, number>([[output, 1]]);
  for (const l of layers) for (const i of l.inputs) count.set(i, (count.get(i) ?? 0) + 1);
  return count;
}

export function compileModel(model: PackedModel, variant: LowbitVariant): CompiledModel {
  const constants: (Uint32Array | Float32Array)[] = [];
  const add = (data: Uint32Array | Float32Array) => constants.push(data) - 1;
  const layerConstants = new Map<string, number[]>();
  const { layers, output } = model.manifest;
  const uses = consumers(layers, output);
  const fusedRelu = new Set<string>();
  for (const [i, l] of layers.entries()) {
    if (l.op === 'conv' || l.op === 'linear') {
      const w = model.weights.get(l.name);
      if (!w) throw new Error(`compileModel: no weights for layer "${l.name}"`);
      const actStep = l.activation ? l.activation.clip / codeMax(l.activation.bits) : 1;
      const epi = lowbitEpilogue(l.weightBits, w.scales, w.bias, actStep);
      layerConstants.set(l.name, [add(w.words), add(w.rowInfo), add(epi)]);
      const next = layers[i + 1];
      if (next?.op === 'relu' && next.inputs[0] === l.name && uses.get(l.name) === 1) {
        fusedRelu.add(l.name);
        fusedRelu.add(next.name);
      }
    } else if (l.op === 'bn') {
      const p = model.batchNorms.get(l.name);
      if (!p) throw new Error(`compileModel: no parameters for layer "${l.name}"`);
      layerConstants.set(l.name, [add(p.mean), add(p.variance), add(p.gamma), add(p.beta)]);
    }
  }
  return { model, variant, constants, layerConstants, fusedRelu };
}

/** The convolution geometry of a conv/linear layer (a linear layer is a 1×1 conv on [K, 1, 1]). */
function geometryOf(l: WeightedLayer): Conv2dGeometry {
  if (l.op === 'linear') {
    return {
      c: l.inFeatures,
      h: 1,
      w: 1,
      kh: 1,
      kw: 1,
      sh: 1,
      sw: 1,
      ph: 0,
      pw: 0,
      dh: 1,
      dw: 1,
      ho: 1,
      wo: 1,
    };
  }
  const [c, h, w] = l.inShape;
  const [, ho, wo] = l.outShape;
  const [kh, kw] = l.kernel;
  const [sh, sw] = l.stride;
  const [ph, pw] = l.padding;
  const [dh, dw] = l.dilation;
  return { c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo };
}

/** Builds the launch plan for batches of `n` samples. */
export function buildPlan(compiled: CompiledModel, n: number): Plan {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`buildPlan: batch size must be a positive integer, got ${n}`);
  const { model, variant, layerConstants, fusedRelu } = compiled;
  const buffers: PlanBuffer[] = compiled.constants.map((data) => ({ kind: 'const', data }));
  const temp = (elem: 'u32' | 'i32' | 'f32', length: number) =>
    buffers.push({ kind: 'temp', elem, length }) - 1;
  const steps: PlanStep[] = [];
  const inputLength = n * elements(model.manifest.input.shape);
  const input = temp('f32', inputLength);
  const value = new Map<string, number>([[INPUT_NAME, input]]);
  for (const l of model.manifest.layers) {
    const x = value.get(l.inputs[0]) as number;
    const outLength = n * elements(l.outShape);
    const launch = (kernel: KernelDescriptor, ids: number[], params: Params, defines: Defines = {}) =>
      steps.push({ layer: l.name, kernel, buffers: ids, params, defines });
    switch (l.op) {
      case 'conv':
      case 'linear': {
        const [words, rowInfo, epi] = layerConstants.get(l.name) as number[];
        const g = geometryOf(l);
        const groups = l.op === 'conv' ? l.groups : 1;
        const rows = n * g.ho * g.wo;
        const rowWords = groups * lowbitSegmentWords(g, groups);
        const act = l.activation ? { alpha: l.activation.clip, bits: l.activation.bits } : null;
        const dot4 = act !== null && variant === 'dot4';
        const im2colParams = lowbitIm2colParams(g, n, groups, act);
        const col = dot4 ? temp('u32', rows * rowWords) : temp('f32', rows * rowWords * 4);
        if (dot4) launch(lowbitIm2colPackedKernel, [x, col], im2colParams);
        else launch(lowbitIm2colKernel, [x, col], im2colParams, { quant: act !== null });
        const gemm = lowbitGemmLaunch(
          {
            rows,
            channels: channelsOf(l),
            positions: g.ho * g.wo,
            k: rowLength(l),
            groups,
            relu: fusedRelu.has(l.name),
          },
          { intAcc: act !== null },
        );
        const y = temp('f32', outLength);
        launch(
          dot4 ? lowbitGemmDot4Kernel : lowbitGemmFloatKernel,
          [words, rowInfo, col, epi, y],
          gemm.params,
          gemm.defines,
        );
        value.set(l.name, y);
        break;
      }
      case 'relu': {
        if (fusedRelu.has(l.name)) {
          value.set(l.name, x);
          break;
        }
        const y = temp('f32', outLength);
        launch(unaryKernel, [x, y], { n: outLength, alpha: 0, beta: 0 }, { op: 'relu' });
        value.set(l.name, y);
        break;
      }
      case 'flatten':
        value.set(l.name, x);
        break;
      case 'pool': {
        const [c, h, w] = l.inShape;
        const [, ho, wo] = l.outShape;
        const params = pool2dParams(
          {
            planes: n * c,
            h,
            w,
            ho,
            wo,
            kh: l.kernel[0],
            kw: l.kernel[1],
            sh: l.stride[0],
            sw: l.stride[1],
            ph: l.padding[0],
            pw: l.padding[1],
          },
          l.countIncludePad,
        );
        const y = temp('f32', outLength);
        if (l.kind === 'max') launch(maxPoolKernel, [x, y, temp('i32', outLength)], params);
        else launch(avgPoolKernel, [x, y], params);
        value.set(l.name, y);
        break;
      }
      case 'add': {
        const y = temp('f32', outLength);
        const b = value.get(l.inputs[1]) as number;
        launch(binaryKernel, [x, b, y], binaryParams([outLength], [1], [1]), { op: 'add' });
        value.set(l.name, y);
        break;
      }
      case 'bn': {
        const [mean, variance, gamma, beta] = layerConstants.get(l.name) as number[];
        const y = temp('f32', outLength);
        const c = l.inShape[0];
        launch(batchNormApplyKernel, [x, mean, variance, gamma, beta, y], {
          total: outLength,
          c,
          hw: elements(l.inShape) / c,
          eps: l.eps,
        });
        value.set(l.name, y);
        break;
      }
    }
  }
  const outLayer = model.manifest.layers.find((l) => l.name === model.manifest.output) as PackedLayer;
  return {
    n,
    variant,
    buffers,
    steps,
    input,
    output: value.get(outLayer.name) as number,
    inputLength,
    outputLength: n * elements(outLayer.outShape),
  };
}

/** Samples in a batch of `length` floats for this model's input shape (throws if not whole). */
export function batchSize(model: PackedModel, length: number, what: string): number {
  const per = elements(model.manifest.input.shape);
  const n = length / per;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(
      `${what}: the batch has ${length} floats, not a positive multiple of the ${per} of one [${model.manifest.input.shape.join(', ')}] sample`,
    );
  }
  return n;
}
