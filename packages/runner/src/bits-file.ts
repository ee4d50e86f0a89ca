/**
 * bits.json: the per-layer integer bit-widths of a run, the file `fracbits cost --bits` reads.
 * `{ format: 'fracbits-bits', version: 1, model, granularity, layers: [{ name, w, a }] }` where w
 * is one number (layer-wise) or one per output channel (kernel-wise); pinned layers say so.
 */
import type { BitAssignment, LayerInfo, PinnedBits } from '@fracbits/plugin-api';
import { z } from 'zod';

export const BITS_FORMAT = 'fracbits-bits';

const bitsValue = z.number().min(0).max(32);

const bitsFileSchema = z.object({
  format: z.literal(BITS_FORMAT).optional(),
  version: z.literal(1).optional(),
  model: z.string().optional(),
  granularity: z.enum(['layer', 'kernel']).optional(),
  layers: z
    .array(
      z.object({
        name: z.string().min(1),
        w: z.union([bitsValue, z.array(bitsValue).min(1)]),
        a: bitsValue,
        pinned: z.object({ w: z.number().optional(), a: z.number().optional() }).optional(),
      }),
    )
    .min(1),
});

export type BitsFile = z.output<typeof bitsFileSchema>;

export interface NamedBits {
  readonly name: string;
  readonly w: readonly number[];
  readonly a: number;
  readonly pinned?: PinnedBits;
}

export function makeBitsFile(model: string, granularity: string, layers: readonly NamedBits[]): BitsFile {
  return {
    format: BITS_FORMAT,
    version: 1,
    model,
    granularity: granularity as 'layer' | 'kernel',
    layers: layers.map((l) => ({
      name: l.name,
      w: l.w.length === 1 ? l.w[0] : [...l.w],
      a: l.a,
      ...(l.pinned ? { pinned: { ...l.pinned } } : {}),
    })),
  };
}

/** Validates parsed bits.json content; errors name the file and every problem. */
export function parseBitsFile(value: unknown, source: string): BitsFile {
  const r = bitsFileSchema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source} is not a bits file ({ layers: [{ name, w, a }] }): ${problems}`);
  }
  return r.data;
}

/** The bits of every layer (by name; 'name#2' applications share their layer's bits). */
export function assignmentFromBitsFile(
  file: BitsFile,
  infos: readonly LayerInfo[],
  source: string,
): BitAssignment[] {
  const byName = new Map(file.layers.map((l) => [l.name, l]));
  const known = new Set(infos.map((i) => i.name.replace(/#\d+$/, '')));
  const unknown = file.layers.filter((l) => !known.has(l.name)).map((l) => l.name);
  if (unknown.length)
    throw new Error(
      `${source}: no layer named ${unknown.join(', ')} in the model (layers: ${[...known].join(', ')})`,
    );
  return infos.map((info) => {
    const entry = byName.get(info.name.replace(/#\d+$/, ''));
    if (!entry) throw new Error(`${source}: no bits for layer "${info.name}"`);
    const w = Array.isArray(entry.w) ? entry.w : [entry.w];
    if (w.length !== 1 && w.length !== info.outChannels) {
      throw new Error(
        `${source}: layer "${info.name}" needs 1 or ${info.outChannels} weight bit-widths, got ${w.length}`,
      );
    }
    return { w, a: entry.a };
  });
}
