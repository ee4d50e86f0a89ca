/**
 * The optimizer base: parameter groups with per-group hyperparameters, a step counter, and
 * per-parameter state tensors (momentum, Adam moments) that are checkpointed by index.
 *
 * Updates are composed from tensor ops and applied with `Tensor.assign` inside `noGrad(scope)`,
 * so a step records GPU work only and never reads back.
 */
import { formatShape, keep, noGrad, scope, shapesEqual, type Tensor } from '@fracbits/tensor';

/** A set of parameters sharing hyperparameters; unset fields take the optimizer's defaults. */
export type ParamGroup<H> = {
  readonly params: readonly Tensor[];
  readonly name?: string /** Multiplies the optimizer's learning rate (default 1). */;
  readonly lrScale?: number;
} & Partial<H>;

export interface ResolvedGroup<H> {
  readonly params: readonly Tensor[];
  readonly name: string;
  readonly lrScale: number;
  readonly hyper: H;
}

/** An optimizer's state for checkpoints: JSON metadata plus tensors by key. */
export interface OptimizerState {
  readonly meta: {
    readonly type: string;
    readonly stepCount: number;
    readonly lr: number;
    readonly [key: string]: unknown;
  };
  readonly tensors: Map<string, Tensor>;
}

function isGroupList<H>(
  input: readonly Tensor[] | readonly ParamGroup<H>[],
): input is readonly ParamGroup<H>[] {
  return input.length > 0 && !(input[0] as Tensor).isTensor;
}

export abstract class Optimizer<H extends object> {
  readonly groups: readonly ResolvedGroup<H>[];
  /** Base learning rate (each group uses lr · lrScale). */
  lr: number;
  /** Number of `step()` calls so far (the global iteration for schedules). */
  stepCount = 0;
  /** Per-parameter state tensors by slot name (e.g. 'momentum'), owned by the optimizer. */
  protected readonly slots = new Map<Tensor, Map<string, Tensor>>();

  constructor(
    readonly type: string,
    params: readonly Tensor[] | readonly ParamGroup<H>[],
    lr: number,
    defaults: H,
  ) {
    if (!(lr >= 0) || !Number.isFinite(lr))
      throw new Error(`${type}: lr must be a finite number ≥ 0, got ${lr}`);
    this.lr = lr;
    const list: readonly ParamGroup<H>[] = isGroupList(params)
      ? params
      : [{ params: params as readonly Tensor[] } as ParamGroup<H>];
    const seen = new Set<Tensor>();
    this.groups = list.map((g, i) => {
      for (const p of g.params) {
        if (!p.isTensor) throw new Error(`${type}: group ${i} holds something that is not a tensor`);
        if (p.dtype !== 'float32') throw new Error(`${type}: parameter ${p.describe()} is not float32`);
        if (seen.has(p)) throw new Error(`${type}: parameter ${p.describe()} appears in more than one group`);
        seen.add(p);
      }
      const { params: ps, name, lrScale, ...overrides } = g;
      const hyper = { ...defaults } as H;
      for (const [k, v] of Object.entries(overrides))
        if (v !== undefined) (hyper as Record<string, unknown>)[k] = v;
      this.validate(hyper, `group ${name ?? i}`);
      return { params: [...ps], name: name ?? String(i), lrScale: lrScale ?? 1, hyper };
    });
  }

  /** All parameters in group order (the indexing used by state()). */
  get params(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  setLr(lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr))
      throw new Error(`${this.type}.setLr: lr must be a finite number ≥ 0, got ${lr}`);
    this.lr = lr;
  }

  /** Updates every parameter that has a gradient (parameters without one are skipped). */
  step(): void {
    this.stepCount++;
    noGrad(() =>
      scope(() => {
        for (const group of this.groups) {
          const lr = this.lr * group.lrScale;
          for (const p of group.params) {
            if (!p.grad) continue;
            p.assign(this.update(p, p.grad, lr, group.hyper));
          }
        }
      }),
    );
  }

  /** Frees every gradient of the optimizer's parameters. */
  zeroGrad(): void {
    for (const p of this.params) {
      if (p.grad) {
        p.grad.dispose();
        p.grad = null;
      }
    }
  }

  /** Checks a group's hyperparameters; throws naming the optimizer and group. */
  protected abstract validate(hyper: H, where: string): void;

  /** The new value of `p` (composed from ops; runs inside noGrad and a scope). */
  protected abstract update(p: Tensor, grad: Tensor, lr: number, hyper: H): Tensor;

  protected getSlot(p: Tensor, slot: string): Tensor | undefined {
    return this.slots.get(p)?.get(slot);
  }

  /** Stores a new value of a state slot: kept past the step's scope, old storage released. */
  protected setSlot(p: Tensor, slot: string, value: Tensor): void {
    let map = this.slots.get(p);
    if (!map) {
      map = new Map();
      this.slots.set(p, map);
    }
    const old = map.get(slot);
    if (old) old.assign(value);
    else map.set(slot, keep(value.detach()));
  }

  /** Extra JSON metadata of subclasses (e.g. Adam's per-parameter step counts). */
  protected extraMeta(): Record<string, unknown> {
    return {};
  }

  protected loadExtraMeta(_meta: Record<string, unknown>): void {}

  /** Metadata and state tensors keyed `<param index>.<slot>` (the tensors are live, not copies). */
  state(): OptimizerState {
    const tensors = new Map<string, Tensor>();
    this.params.forEach((p, i) => {
      for (const [slot, t] of this.slots.get(p) ?? []) tensors.set(`${i}.${slot}`, t);
    });
    return {
      meta: {
        type: this.type,
        stepCount: this.stepCount,
        lr: this.lr,
        shapes: this.params.map((p) => [...p.shape]),
        ...this.extraMeta(),
      },
      tensors,
    };
  }

  /** Restores a state from `state()` of an optimizer of the same type over the same parameter shapes. */
  loadState(state: OptimizerState): void {
    const where = `${this.type}.loadState`;
    const { meta } = state;
    if (meta.type !== this.type) throw new Error(`${where}: state is for a ${String(meta.type)} optimizer`);
    const params = this.params;
    const shapes = meta.shapes as number[][] | undefined;
    if (!Array.isArray(shapes) || shapes.length !== params.length) {
      throw new Error(
        `${where}: state has ${shapes?.length ?? 'no'} parameters, this optimizer has ${params.length}`,
      );
    }
    params.forEach((p, i) => {
      if (!shapesEqual(shapes[i], p.shape)) {
        throw new Error(
          `${where}: parameter ${i} (${p.describe()}) was ${formatShape(shapes[i])} in the state`,
        );
      }
    });
    const parsed: [Tensor, string, Tensor][] = [];
    for (const [key, t] of state.tensors) {
      const m = /^(\d+)\.(\w+)$/.exec(key);
      const p = m ? params[Number(m[1])] : undefined;
      if (!m || !p) throw new Error(`${where}: unexpected state key "${key}"`);
      if (!shapesEqual(t.shape, p.shape) || t.dtype !== 'float32') {
        throw new Error(`${where}: "${key}" is ${t.describe()}, expected ${formatShape(p.shape)} float32`);
      }
      if (t.backend !== p.backend)
        throw new Error(`${where}: "${key}" lives on ${t.backend.name}, parameters on ${p.backend.name}`);
      parsed.push([p, m[2], t]);
    }
    this.disposeState();
    for (const [p, slot, t] of parsed) this.setSlot(p, slot, t);
    this.stepCount = Number(meta.stepCount) || 0;
    this.lr = Number(meta.lr);
    this.loadExtraMeta(meta as Record<string, unknown>);
  }

  /** Frees the state tensors (the parameters stay). */
  disposeState(): void {
    for (const map of this.slots.values()) for (const t of map.values()) t.dispose();
    this.slots.clear();
  }
}

export function checkNumber(value: unknown, what: string, min: number, max = Infinity): void {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new Error(`${what} must be a number in [${min}, ${max}], got ${String(value)}`);
  }
}
