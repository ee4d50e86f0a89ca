/** `fracbits cost`: the per-layer cost table of a model at given bit-widths. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { layerInfos, quantizeModel } from '@fracbits/core';
import { uniformBits } from '@fracbits/cost';
import { listModels } from '@fracbits/nn';
import type { CostModel } from '@fracbits/plugin-api';
import {
  assignmentFromBitsFile,
  costTable,
  createRegistry,
  formatBits,
  formatCount,
  parseBitsFile,
  textTable,
} from '@fracbits/runner';
import { findConfigFile, loadConfigFile, resolveModelSource } from '@fracbits/runner/node';
import type { Command } from 'commander';
import { asUsage, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { collect } from '../options.js';
import { pluginsOrUsage } from '../search-config.js';

interface CostFlags {
  model: string;
  input?: string;
  bits: string;
  cost?: string;
  config?: string;
  plugin?: string[];
  json?: boolean;
}

/** '224' → [C, 224, 224] with the model's channels; '3x224x224' → [3, 224, 224]. */
export function parseInput(text: string, channels: number): number[] {
  const parts = text
    .toLowerCase()
    .split('x')
    .map((p) => Number(p.trim()));
  if (!parts.every((p) => Number.isInteger(p) && p > 0) || ![1, 2, 3].includes(parts.length)) {
    throw new UsageError(
      `--input: expected <size>, <h>x<w> or <c>x<h>x<w> (e.g. 224 or 3x224x224), got "${text}"`,
    );
  }
  if (parts.length === 1) return [channels, parts[0], parts[0]];
  if (parts.length === 2) return [channels, parts[0], parts[1]];
  return parts;
}

export function registerCost(program: Command, io: CliIo): void {
  program
    .command('cost')
    .description(
      'per-layer MACs, params, bits, BitOps and size of a model (first conv W8 with an 8-bit input, last linear W8)',
    )
    .option('--model <name|file>', 'zoo model or .onnx file', 'lenet5')
    .option('--input <size>', "input size: 224, 32x32 or 3x224x224 (default: the model's)")
    .option('--bits <spec>', "uniform:<b> or a bits.json file (e.g. a run's)", 'uniform:4')
    .option(
      '--cost <model[@table=file]>',
      'also evaluate this registered cost model (plugins included), e.g. bitserial, or latency@table=<file> with a table from `fracbits profile --out`',
    )
    .option('--config <file>', 'a config file whose plugins to load')
    .option('--plugin <spec>', 'plugin package or path, repeatable', collect)
    .option(
      '--json',
      'print { model, input, bitops, sizeMB, macs, params, layers } (GBitOps, G, M) and nothing else',
    )
    .addHelpText(
      'after',
      `
bitops in GBitOps, macs in G (10⁹), params in M (10⁶), sizeBits per layer in bits, sizeMB = bits / 8e6.
With --cost, the JSON also has cost: { model, unit, total } and a cost per layer.

Examples:
  fracbits cost --model resnet18 --input 224 --bits uniform:4
  fracbits cost --model lenet5 --bits runs/20250101-120000-lenet5/bits.json --json
  fracbits cost --model mobilenetv2 --bits uniform:4 --cost latency --plugin ./my-npu-plugin.mjs
`,
    )
    .action(async (flags: CostFlags) => {
      const registry = createRegistry();
      const file = flags.config ?? findConfigFile(process.cwd());
      const loaded = file ? await loadConfigFile(file) : undefined;
      const fromConfig = ((loaded?.config.plugins as string[] | undefined) ?? []).map((p) =>
        p.startsWith('.') ? resolve(loaded!.baseDir, p) : p,
      );
      await pluginsOrUsage(registry, [...fromConfig, ...(flags.plugin ?? [])], process.cwd());
      const zoo = listModels().find((m) => m.name === flags.model);
      if (!zoo && !/\.[A-Za-z0-9]+$/.test(flags.model))
        throw new UsageError(
          `--model: unknown model "${flags.model}"; zoo: ${listModels()
            .map((m) => m.name)
            .join(', ')} (or an .onnx file)`,
        );
      const inputShape = flags.input ? parseInput(flags.input, zoo?.inputSize[0] ?? 3) : undefined;
      const source = await resolveModelSource(
        { model: flags.model, seed: 0, ...(inputShape ? { inputShape } : {}) },
        registry,
      );
      const shape = [...source.inputShape];
      const model = await source.build();
      quantizeModel(model, { targetBits: 4, mode: 'float', inputShape: shape, bitsRange: [0, 8] });
      const infos = layerInfos(model, shape);
      let bits: ReturnType<typeof uniformBits>;
      if (flags.bits.startsWith('uniform:')) {
        const b = Number(flags.bits.slice('uniform:'.length));
        if (!(Number.isFinite(b) && b >= 0 && b <= 8))
          throw new UsageError(`--bits: expected uniform:<bits in [0, 8]>, got "${flags.bits}"`);
        bits = uniformBits(infos, b);
      } else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(readFileSync(flags.bits, 'utf8'));
        } catch (e) {
          throw new UsageError(
            `--bits: expected uniform:<b> or a readable bits.json, got "${flags.bits}" (${(e as Error).message})`,
          );
        }
        bits = asUsage(() => assignmentFromBitsFile(parseBitsFile(parsed, flags.bits), infos, flags.bits));
      }
      const extra: CostModel | undefined = flags.cost
        ? asUsage(() => registry.costModel(...parseCostFlag(flags.cost!)))
        : undefined;
      const table = costTable(infos, bits, extra);
      if (flags.json) {
        const out = {
          model: flags.model,
          input: shape,
          bitops: table.bitops,
          sizeMB: table.sizeMB,
          macs: table.macs,
          params: table.params,
          layers: table.layers.map((l) => ({
            name: l.name,
            macs: l.macs,
            params: l.params,
            wBits: l.wBits,
            aBits: l.aBits,
            bitops: l.bitops,
            sizeBits: l.sizeBits,
            ...(l.cost !== undefined ? { cost: l.cost } : {}),
          })),
          ...(table.extra ? { cost: table.extra } : {}),
        };
        io.stdout(`${JSON.stringify(out)}\n`);
        return;
      }
      const header = [
        'layer',
        'MACs',
        'params',
        'W',
        'A',
        'GBitOps',
        'size kB',
        ...(extra ? [`${extra.name} (${extra.unit})`] : []),
      ];
      const rows = table.layers.map((l) => [
        l.name,
        formatCount(l.macs),
        formatCount(l.params),
        formatBits(l.wBits),
        String(l.aBits),
        l.bitops.toPrecision(4),
        (l.sizeBits / 8e3).toFixed(2),
        ...(l.cost !== undefined ? [l.cost.toPrecision(4)] : []),
      ]);
      rows.push([
        'total',
        `${table.macs.toPrecision(4)}G`,
        `${table.params.toPrecision(4)}M`,
        '',
        '',
        table.bitops.toPrecision(4),
        (table.sizeMB * 1e3).toFixed(2),
        ...(table.extra ? [table.extra.total.toPrecision(4)] : []),
      ]);
      io.stdout(
        `${flags.model} at input [${shape.join(', ')}], bits ${flags.bits}\n${textTable(header, rows)}\n`,
      );
      io.stdout(
        `total: ${table.bitops.toPrecision(4)} GBitOps, ${table.sizeMB.toPrecision(4)} MB of weights\n`,
      );
    });
}

/** '--cost latency@table=t.json' → ['latency', { table: 't.json' }] (the budgets' @table= suffix). */
export function parseCostFlag(text: string): [string, Readonly<Record<string, unknown>> | undefined] {
  const [name, ...suffixes] = text.split('@');
  if (name.trim() === '') throw new Error(`--cost: expected <model>[@table=<file>], got '${text}'`);
  let options: Record<string, unknown> | undefined;
  for (const suffix of suffixes) {
    const eq = suffix.indexOf('=');
    const key = suffix.slice(0, eq).trim();
    const value = suffix.slice(eq + 1).trim();
    if (eq < 0 || key !== 'table' || value === '')
      throw new Error(`--cost: expected <model>[@table=<file>], got '@${suffix}' in '${text}'`);
    options = { ...options, table: value };
  }
  return [name.trim(), options];
}
