/**
 * `fracbits profile`: times the packed runtime's low-bit kernels for every conv/linear layer shape
 * of a zoo model at every (weight, activation) bit pair on the local WebGPU adapter, and writes
 * the latency table the 'latency' cost model reads (`createCostModel('latency', { table })`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { layerInfos, quantizedLayers, quantizeModel } from '@fracbits/core';
import { latencyLayerKey } from '@fracbits/cost';
import { createModel, listModels } from '@fracbits/nn';
import {
  type BitPair,
  type ProfileEntry,
  type ProfileLayerSpec,
  type ProfileTable,
  profileLayers,
} from '@fracbits/packed';
import { createNodeDevice } from '@fracbits/packed/node';
import type { LayerInfo } from '@fracbits/plugin-api';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { type CliIo, processIo } from '../io.js';
import { intFlag } from '../options.js';
import { parseInput } from './cost.js';

interface ProfileFlags {
  model: string;
  input?: string;
  bits: number[];
  batch: number;
  repeats: number;
  timing: 'auto' | 'timestamp' | 'wall';
  variant: 'auto' | 'dot4' | 'float';
  out?: string;
  json?: boolean;
}

/** '1..8' → [1, …, 8]; '2,4,8' → [2, 4, 8]; bits 0..8. */
export function parseBitList(text: string): number[] {
  const range = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(text);
  const values = range
    ? Array.from(
        { length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) },
        (_, i) => Number(range[1]) + i,
      )
    : text.split(',').map((p) => (p.trim() === '' ? Number.NaN : Number(p)));
  if (values.length === 0 || !values.every((b) => Number.isInteger(b) && b >= 0 && b <= 8)) {
    throw new UsageError(
      `--bits: expected a range such as 1..8 or a list such as 2,4,8 of bits in 0..8, got "${text}"`,
    );
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

function choice<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!allowed.includes(value as T)) {
      throw new UsageError(`${flag}: expected ${allowed.join(' | ')}, got "${value}"`);
    }
    return value as T;
  };
}

/** One layer shape to time, with the model layers that have it. */
interface ShapeToTime {
  readonly key: string;
  readonly spec: ProfileLayerSpec;
  /** Whether a layer of this shape reads the float image (pinned input bits): timed at aBits null. */
  readonly floatInput: boolean;
  /** Weight bits a layer of this shape is pinned at (first conv, last linear: 8), always timed. */
  readonly pinnedWeightBits: Set<number>;
  readonly layers: string[];
}

/** The distinct conv/linear shapes of a zoo model, in execution order. */
export function layerShapes(name: string, inputShape: readonly number[], batch: number): ShapeToTime[] {
  const model = createModel(name, { inputSize: [inputShape[0], inputShape[1], inputShape[2]] });
  // Quantizing (float mode) marks the first conv as reading the unquantized image.
  quantizeModel(model, { targetBits: 4, mode: 'float', inputShape, bitsRange: [0, 8] });
  const geometry = new Map(quantizedLayers(model).map(([n, l]) => [n, l.geometry]));
  const shapes = new Map<string, ShapeToTime>();
  for (const info of layerInfos(model, inputShape) as LayerInfo[]) {
    const g = geometry.get(info.name.replace(/#\d+$/, ''))!;
    if (g.dilation[0] !== 1 || g.dilation[1] !== 1) {
      throw new UsageError(
        `layer "${info.name}" is dilated; the low-bit profiler times undilated layers only`,
      );
    }
    const floatInput = info.pinned?.a !== undefined;
    const key = latencyLayerKey(info);
    const id = `${key}|${floatInput}`;
    const pinnedW = info.pinned?.w;
    const known = shapes.get(id);
    if (known) {
      known.layers.push(info.name);
      if (pinnedW !== undefined) known.pinnedWeightBits.add(pinnedW);
      continue;
    }
    const spec: ProfileLayerSpec =
      info.kind === 'linear'
        ? { name: key, op: 'linear', inShape: info.inputShape, out: info.outChannels, batch }
        : {
            name: key,
            op: 'conv',
            inShape: info.inputShape,
            out: info.outChannels,
            kernel: g.kernel,
            stride: g.stride,
            padding: g.padding,
            groups: g.groups,
            batch,
          };
    const pinnedWeightBits = new Set(pinnedW === undefined ? [] : [pinnedW]);
    shapes.set(id, { key, spec, floatInput, pinnedWeightBits, layers: [info.name] });
  }
  model.dispose();
  return [...shapes.values()];
}

const summary = (entries: readonly ProfileEntry[]) => {
  const ms = entries.map((e) => e.ms);
  return `${entries.length} bit pairs, ${Math.min(...ms).toFixed(3)}–${Math.max(...ms).toFixed(3)} ms`;
};

export function registerProfile(program: Command, io: CliIo = processIo): void {
  program
    .command('profile')
    .description(
      "time the packed low-bit kernels for each conv/linear layer shape of a model at every bit pair on this machine's WebGPU adapter",
    )
    .option('--model <name>', 'zoo model', 'lenet5')
    .option('--input <size>', "input size: 28, 32x32 or 3x32x32 (default: the model's)")
    .option(
      '--bits <list>',
      'weight and activation bits to time: a range (1..8) or a list (2,4,8), 0..8',
      parseBitList,
      parseBitList('1..8'),
    )
    .option('--batch <n>', 'samples per timed run', intFlag('--batch', 1), 1)
    .option(
      '--repeats <n>',
      'timed runs per entry (median kept, after one warm-up)',
      intFlag('--repeats', 1),
      5,
    )
    .option(
      '--timing <how>',
      'auto | timestamp | wall',
      choice('--timing', ['auto', 'timestamp', 'wall'] as const),
      'auto',
    )
    .option(
      '--variant <name>',
      'auto | dot4 | float (the kernels timed)',
      choice('--variant', ['auto', 'dot4', 'float'] as const),
      'auto',
    )
    .option('--out <file>', 'write the table there (default: print it on stdout)')
    .option('--json', 'with --out: print { out, adapter, variant, timing, shapes, entries } on stdout')
    .addHelpText(
      'after',
      `
Every layer shape is run as a one-layer packed model (PACT quantize + im2col + low-bit GEMM, what
the packed runtime launches) at each weight bits × activation bits pair; the first conv, which reads
the unquantized image, at each weight bits with a float input. Pinned weights (the first conv's and
the last linear's 8 bits) are always timed too. Entries are keyed by the layer's shape
('conv 1x28x28->6x28x28 k5x5 s1x1 g1'), so the table costs any model with the same shapes:

  createCostModel('latency', { table: JSON.parse(readFileSync('table.json', 'utf8')) })

Timing uses GPU timestamp queries when the adapter has them (Dawn quantizes them, 65.5 µs steps on
lavapipe: use --batch or --timing wall for tiny layers).

Examples:
  fracbits profile --model lenet5 --out lenet5-latency.json
  fracbits profile --model resnet20 --bits 2..8 --batch 16 --out resnet20-latency.json
`,
    )
    .action(async (flags: ProfileFlags) => {
      const zoo = listModels().find((m) => m.name === flags.model);
      if (!zoo) {
        throw new UsageError(
          `--model: unknown model "${flags.model}"; zoo: ${listModels()
            .map((m) => m.name)
            .join(', ')}`,
        );
      }
      const inputShape = flags.input ? parseInput(flags.input, zoo.inputSize[0]) : [...zoo.inputSize];
      const shapes = layerShapes(flags.model, inputShape, flags.batch);
      const aBits = flags.bits.filter((b) => b >= 1);
      if (aBits.length === 0) throw new UsageError('--bits: activations need at least one width ≥ 1');
      // Pinned weights (8 bits) are timed whatever --bits says: the cost model looks them up.
      const pairs = (shape: ShapeToTime): BitPair[] => {
        const wBits = [...new Set([...flags.bits, ...shape.pinnedWeightBits])].sort((a, b) => a - b);
        return shape.floatInput
          ? wBits.map((w): BitPair => [w, null])
          : wBits.flatMap((w) => aBits.map((a): BitPair => [w, a]));
      };

      const { device, wgslLanguageFeatures } = await createNodeDevice();
      const tables: ProfileTable[] = [];
      try {
        for (const shape of shapes) {
          const table = await profileLayers(device, [shape.spec], pairs(shape), {
            variant: flags.variant,
            wgslLanguageFeatures,
            repeats: flags.repeats,
            timing: flags.timing,
          });
          tables.push(table);
          io.stderr(`${shape.key} (${shape.layers.join(', ')}): ${summary(table.entries)}\n`);
        }
      } finally {
        device.destroy();
      }
      const [first] = tables;
      const table = {
        ...first,
        entries: tables.flatMap((t) => t.entries),
        model: flags.model,
        input: inputShape,
        shapes: shapes.map(({ key, layers, floatInput, spec }) => ({ key, layers, floatInput, ...spec })),
      };
      const text = `${JSON.stringify(table, null, 2)}\n`;
      if (!flags.out) {
        io.stdout(text);
        return;
      }
      const out = resolve(flags.out);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text);
      const facts = {
        out,
        adapter: table.adapter,
        variant: table.variant,
        timing: table.timing,
        shapes: shapes.length,
        entries: table.entries.length,
      };
      io.stdout(
        flags.json
          ? `${JSON.stringify(facts)}\n`
          : `${out}: ${facts.entries} entries for ${facts.shapes} layer shapes on ${facts.adapter} (${facts.variant}, ${facts.timing} timing)\n`,
      );
    });
}
