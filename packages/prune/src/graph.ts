/**
 * Channel dependency analysis: a shape-only walk of a model that records, for every channel of
 * every intermediate value, which layer channels produce it and which consume it. Channels that
 * must disappear together (a conv's output channel, the matching BatchNorm channel, the next
 * layer's input channel, every branch of a residual add, a depthwise conv's input and output
 * channel) end up in one set of a union-find; removal then decides per set.
 *
 * The walk knows the nn building blocks (Sequential, BasicBlock, InvertedResidual, Residual,
 * DepthwiseSeparable, ChannelPadShortcut, the channel-wise layers) and core's quantized layers.
 * Any other module is opaque: the channels entering it are kept and its inner layers are not
 * touched, so an unknown module can make removal less effective but never wrong.
 */
import { QConv2d, QLinear } from '@fracbits/core';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BasicBlock,
  BatchNorm1d,
  BatchNorm2d,
  ChannelPadShortcut,
  Conv2d,
  DepthwiseSeparable,
  Dropout,
  Flatten,
  GlobalAvgPool,
  Identity,
  InvertedResidual,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  ReLU6,
  Residual,
  Sequential,
  Tanh,
} from '@fracbits/nn';
import { formatShape, type Shape } from '@fracbits/tensor';
import { UnionFind } from './union-find.js';

/** A layer whose channels can be removed. */
export type PrunableLayer = Conv2d | Linear | QConv2d | QLinear;

/** One place a module is registered: `parent.getModule(key) === module`. */
export interface Owner {
  readonly parent: Module;
  readonly key: string;
}

export interface LayerNode {
  /** Dotted module path (the first one, if the module is registered twice). */
  readonly name: string;
  readonly module: PrunableLayer;
  readonly owners: readonly Owner[];
  readonly kind: 'conv' | 'linear';
  readonly quantized: boolean;
  /** A depthwise conv (groups = in = out channels): input and output channel c go together. */
  readonly depthwise: boolean;
  /** Graph node of each input channel (conv) or input feature (linear). */
  readonly inNodes: readonly number[];
  /** Graph node of each output channel: the channel's value source. */
  readonly outNodes: readonly number[];
}

export interface NormNode {
  readonly name: string;
  readonly module: BatchNorm1d | BatchNorm2d;
  readonly owners: readonly Owner[];
  readonly nodes: readonly number[];
  /** Per channel, the source nodes whose values reach it (over all applications). */
  readonly upstream: readonly Set<number>[];
}

export interface PadNode {
  readonly name: string;
  readonly module: ChannelPadShortcut;
  readonly owners: readonly Owner[];
  /** Zero channels padded before the input's channels, the input's channels, zero channels after. */
  readonly before: readonly number[];
  readonly middle: readonly number[];
  readonly after: readonly number[];
}

/** What produces a channel's value. */
export type Source =
  | { readonly kind: 'layer'; readonly layer: LayerNode; readonly channel: number }
  /** Always exactly zero (the padded channels of an option-A shortcut). */
  | { readonly kind: 'zero'; readonly what: string }
  /** Never removable (the model input, an opaque module's output, a non-zero-preserving op). */
  | { readonly kind: 'fixed'; readonly what: string };

/** The result of {@link analyzeChannels}. */
export class ChannelGraph {
  readonly sets = new UnionFind();
  readonly layers: LayerNode[] = [];
  readonly norms: NormNode[] = [];
  readonly pads: PadNode[] = [];
  readonly sources = new Map<number, Source>();
  /** Nodes whose set must be kept, with the reason. */
  readonly blocked = new Map<number, string>();
  /** Dotted names of the modules the walk could not see into. */
  readonly opaque: string[] = [];
  /** The nodes of residual-add outputs. */
  readonly adds = new Set<number>();

  layer(name: string): LayerNode | undefined {
    return this.layers.find((l) => l.name === name);
  }

  /** A readable name of a source node, e.g. 'layer1.0.conv2[5]'. */
  describe(node: number): string {
    const s = this.sources.get(node);
    if (!s) return `node ${node}`;
    return s.kind === 'layer' ? `${s.layer.name}[${s.channel}]` : s.what;
  }
}

interface Value {
  readonly shape: number[];
  /** One graph node per channel (dim 1; per feature after a flatten). */
  readonly slots: readonly number[];
}

const ZERO_PRESERVING = [
  ReLU,
  ReLU6,
  Tanh,
  Identity,
  Dropout,
  MaxPool2d,
  AvgPool2d,
  AdaptiveAvgPool2d,
  GlobalAvgPool,
] as const;

/** Whether `m` is an instance of `cls` that keeps the class's own forward (not a subclass's). */
function plain<T extends Module>(m: Module, cls: abstract new (...args: never[]) => T): m is T {
  return m instanceof cls && m.forward === cls.prototype.forward;
}

class Walker {
  readonly graph = new ChannelGraph();
  private readonly upstream = new Map<number, readonly number[]>();
  private readonly layerOf = new Map<Module, LayerNode>();
  private readonly normOf = new Map<Module, NormNode>();
  private readonly padOf = new Map<Module, PadNode>();
  private readonly names = new Map<Module, string>();
  private readonly owners = new Map<Module, Owner[]>();

  constructor(model: Module) {
    for (const [path, m] of model.namedModules()) {
      if (!this.names.has(m)) this.names.set(m, path);
      for (const [key, child] of m.children()) {
        const list = this.owners.get(child) ?? [];
        list.push({ parent: m, key });
        this.owners.set(child, list);
      }
    }
  }

  private node(): number {
    return this.graph.sets.add();
  }

  private source(s: Source, upstream: 'self' | 'none'): number {
    const n = this.node();
    this.graph.sources.set(n, s);
    this.upstream.set(n, upstream === 'self' ? [n] : []);
    return n;
  }

  private block(node: number, reason: string): void {
    if (!this.graph.blocked.has(node)) this.graph.blocked.set(node, reason);
  }

  private nameOf(m: Module): string {
    return this.names.get(m) || m.constructor.name;
  }

  private ownersOf(m: Module): Owner[] {
    return this.owners.get(m) ?? [];
  }

  /** A fresh value of never-removable channels. */
  fixed(shape: number[], what: string): Value {
    const slots = Array.from({ length: shape[1] ?? 1 }, () => {
      const n = this.source({ kind: 'fixed', what }, 'self');
      this.block(n, what);
      return n;
    });
    return { shape, slots };
  }

  walk(m: Module, v: Value): Value {
    if (m instanceof QConv2d || m instanceof QLinear || m instanceof Conv2d || m instanceof Linear) {
      return this.layer(m, v);
    }
    if (m instanceof BatchNorm2d || m instanceof BatchNorm1d) return this.norm(m, v);
    if (m instanceof ChannelPadShortcut) return this.pad(m, v);
    if (ZERO_PRESERVING.some((cls) => m instanceof cls)) {
      return { shape: m.outputShape(v.shape), slots: v.slots };
    }
    if (m instanceof Flatten && m.startDim === 1) return this.flatten(m, v);
    if (plain(m, Sequential)) {
      return m.children().reduce((x, [, child]) => this.walk(child, x), v);
    }
    if (plain(m, BasicBlock)) {
      const main = [m.conv1, m.bn1, m.relu, m.conv2, m.bn2].reduce((x, c) => this.walk(c, x), v);
      const skip = m.downsample ? this.walk(m.downsample, v) : v;
      return this.walk(m.relu, this.add(main, skip));
    }
    if (plain(m, InvertedResidual)) {
      const y = this.walk(m.conv, v);
      return m.useResidual ? this.add(v, y) : y;
    }
    if (plain(m, Residual)) {
      return this.walk(m.post, this.add(this.walk(m.body, v), this.walk(m.shortcut, v)));
    }
    if (plain(m, DepthwiseSeparable)) return this.walk(m.pointwise, this.walk(m.depthwise, v));
    return this.opaque(m, v);
  }

  private opaque(m: Module, v: Value): Value {
    const name = this.nameOf(m);
    this.graph.opaque.push(name);
    const what = `passes through ${name} (${m.constructor.name}), which the channel analysis does not know`;
    for (const s of v.slots) this.block(s, what);
    return this.fixed(m.outputShape(v.shape), `output of ${name} (${m.constructor.name})`);
  }

  private add(a: Value, b: Value): Value {
    if (a.slots.length !== b.slots.length) {
      throw new Error(
        `analyzeChannels: residual add of ${formatShape(a.shape)} and ${formatShape(b.shape)} (channel counts differ)`,
      );
    }
    const slots = a.slots.map((x, c) => {
      const y = b.slots[c];
      const n = this.node();
      this.graph.adds.add(n);
      this.graph.sets.union(n, x);
      this.graph.sets.union(n, y);
      this.upstream.set(n, [...new Set([...(this.upstream.get(x) ?? []), ...(this.upstream.get(y) ?? [])])]);
      return n;
    });
    return { shape: a.shape, slots };
  }

  private flatten(m: Flatten, v: Value): Value {
    const shape = m.outputShape(v.shape);
    const per = v.shape.slice(2).reduce((p, d) => p * d, 1);
    const slots = v.slots.flatMap((s) => new Array<number>(per).fill(s));
    return { shape, slots };
  }

  private layer(m: PrunableLayer, v: Value): Value {
    const shape = m.outputShape(v.shape);
    const rec = this.layerRecord(m);
    const sets = this.graph.sets;
    if (rec.kind === 'linear' && v.shape.length !== 2) {
      // Features live in the last dimension here, channels in dim 1: do not guess.
      const what = `${rec.name} is applied to a rank-${v.shape.length} input`;
      for (const n of [...rec.inNodes, ...rec.outNodes, ...v.slots]) this.block(n, what);
      return this.fixed(shape, `output of ${rec.name} on a rank-${v.shape.length} input`);
    }
    rec.inNodes.forEach((n, c) => {
      sets.union(n, v.slots[c]);
    });
    return { shape, slots: rec.outNodes };
  }

  private layerRecord(m: PrunableLayer): LayerNode {
    const known = this.layerOf.get(m);
    if (known) return known;
    const name = this.nameOf(m);
    const g = m.geometry;
    const inNodes = Array.from({ length: g.inChannels }, () => this.node());
    const outNodes: number[] = [];
    const quantized = m instanceof QConv2d || m instanceof QLinear;
    const depthwise =
      g.kind === 'conv' && g.groups > 1 && g.groups === g.inChannels && g.groups === g.outChannels;
    const rec: LayerNode = {
      name,
      module: m,
      owners: this.ownersOf(m),
      kind: g.kind,
      quantized,
      depthwise,
      inNodes,
      outNodes,
    };
    for (let o = 0; o < g.outChannels; o++)
      outNodes.push(this.source({ kind: 'layer', layer: rec, channel: o }, 'self'));
    if (depthwise) {
      inNodes.forEach((n, c) => {
        this.graph.sets.union(n, outNodes[c]);
      });
    } else if (g.groups > 1) {
      const why = `${name} is a grouped convolution (groups ${g.groups}), whose channels are not removed`;
      for (const n of [...inNodes, ...outNodes]) this.block(n, why);
    }
    if (m instanceof QConv2d || m instanceof QLinear) {
      if (m.bitsA && m.signedInput) {
        const why = `${name} quantizes its input double-sided, which maps a zero channel to a non-zero level`;
        for (const n of inNodes) this.block(n, why);
      }
      if (m.satRescale) {
        const why = `${name} uses the SAT rescale, whose std(Wq) covers every input`;
        for (const n of inNodes) this.block(n, why);
      }
    }
    this.layerOf.set(m, rec);
    this.graph.layers.push(rec);
    return rec;
  }

  private norm(m: BatchNorm1d | BatchNorm2d, v: Value): Value {
    const shape = m.outputShape(v.shape);
    let rec = this.normOf.get(m);
    if (!rec) {
      rec = {
        name: this.nameOf(m),
        module: m,
        owners: this.ownersOf(m),
        nodes: Array.from({ length: m.numFeatures }, () => this.node()),
        upstream: Array.from({ length: m.numFeatures }, () => new Set<number>()),
      };
      this.normOf.set(m, rec);
      this.graph.norms.push(rec);
    }
    const r = rec;
    v.slots.forEach((s, c) => {
      this.graph.sets.union(r.nodes[c], s);
      for (const u of this.upstream.get(s) ?? []) r.upstream[c].add(u);
    });
    return { shape, slots: v.slots };
  }

  private pad(m: ChannelPadShortcut, v: Value): Value {
    const shape = m.outputShape(v.shape);
    const name = this.nameOf(m);
    const extra = m.outChannels - m.inChannels;
    const zeros = (n: number) =>
      Array.from({ length: n }, () => this.source({ kind: 'zero', what: `zero channel of ${name}` }, 'none'));
    const before = zeros(Math.floor(extra / 2));
    const after = zeros(extra - before.length);
    const known = this.padOf.get(m);
    if (known) {
      // Applied again: the same positions must go together.
      [...known.before, ...known.middle, ...known.after].forEach((n, i) => {
        this.graph.sets.union(n, [...before, ...v.slots, ...after][i]);
      });
    } else {
      const rec: PadNode = { name, module: m, owners: this.ownersOf(m), before, middle: [...v.slots], after };
      this.padOf.set(m, rec);
      this.graph.pads.push(rec);
    }
    return { shape, slots: [...before, ...v.slots, ...after] };
  }
}

/**
 * Analyses the channel dependencies of `model` for one sample of `inputShape` (without the batch,
 * e.g. [1, 28, 28]). Nothing is computed: only output shapes are walked.
 */
export function analyzeChannels(model: Module, inputShape: Shape): ChannelGraph {
  if (inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new Error(
      `analyzeChannels: expected one sample's input shape without the batch (positive integers), got ${formatShape(inputShape)}`,
    );
  }
  const w = new Walker(model);
  const input = w.fixed([1, ...inputShape], 'model input');
  const out = w.walk(model, input);
  for (const s of out.slots) {
    if (!w.graph.blocked.has(s)) w.graph.blocked.set(s, 'model output');
  }
  return w.graph;
}
