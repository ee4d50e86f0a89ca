/**
 * The Module base class: a tree of named child modules owning named parameters (tensors with
 * `requiresGrad`) and buffers (non-trained state such as BatchNorm running statistics).
 *
 * Parameters and buffers are long-lived: they are `keep`-ed when registered, so creating a model
 * inside a `scope` does not free them, and they are updated in place with `Tensor.assign`.
 */
import {
  empty,
  formatShape,
  keep,
  noGrad,
  type Shape,
  scope,
  shapesEqual,
  type Tensor,
  tensor,
} from '@fracbits/tensor';

export interface LoadStateDictOptions {
  /** Fail on missing or unexpected keys (default true). Shapes and dtypes are always checked. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  readonly missing: string[];
  readonly unexpected: string[];
}

const NAME_PATTERN = /^[A-Za-z0-9_]+$/;

function checkName(owner: Module, kind: string, name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new Error(
      `${owner.constructor.name}.register${kind}: invalid name "${name}" (letters, digits and _ only)`,
    );
  }
}

export abstract class Module {
  /** Training mode (BatchNorm uses batch statistics, Dropout drops); set by train()/eval(). */
  training = true;
  private readonly params = new Map<string, Tensor | null>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly modules = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  call(x: Tensor): Tensor {
    return this.forward(x);
  }

  /**
   * The output shape for an input shape, without computing anything. Layers override it; the
   * default runs `forward` on zeros (correct but costly), so describeLayers still works on
   * modules written without it.
   */
  outputShape(input: Shape): number[] {
    return noGrad(() =>
      scope(() => {
        const x = empty(input);
        return [...this.forward(x).shape];
      }),
    );
  }

  /** Registers a trainable tensor (sets requiresGrad); `null` records an absent optional one. */
  registerParameter(name: string, t: Tensor): Tensor;
  registerParameter(name: string, t: Tensor | null): Tensor | null;
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    checkName(this, 'Parameter', name);
    this.assertFree(name);
    if (t) {
      keep(t);
      t.requiresGrad = true;
      t.name ??= name;
    }
    this.params.set(name, t);
    return t;
  }

  /** Registers a non-trained state tensor saved in the state dict (e.g. running statistics). */
  registerBuffer(name: string, t: Tensor): Tensor {
    checkName(this, 'Buffer', name);
    this.assertFree(name);
    keep(t);
    t.name ??= name;
    this.buffers.set(name, t);
    return t;
  }

  registerModule<M extends Module>(name: string, m: M): M {
    checkName(this, 'Module', name);
    this.assertFree(name);
    this.modules.set(name, m);
    return m;
  }

  /**
   * Swaps a direct child for another module (quantizer wrappers use it). A same-named field that
   * held the old child is updated too, so layers that call `this.conv1` see the replacement.
   */
  replaceModule(name: string, m: Module): void {
    const old = this.modules.get(name);
    if (!old) {
      throw new Error(
        `${this.constructor.name}.replaceModule: no child "${name}" (children: ${[...this.modules.keys()].join(', ') || 'none'})`,
      );
    }
    this.modules.set(name, m);
    const fields = this as unknown as Record<string, unknown>;
    if (fields[name] === old) fields[name] = m;
  }

  /** A direct child by name, or undefined. */
  getModule(name: string): Module | undefined {
    return this.modules.get(name);
  }

  children(): [string, Module][] {
    return [...this.modules];
  }

  /** Every module of the tree in pre-order with dotted paths; the root is ''. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.modules) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  /** Direct parameters of this module only (absent optional ones skipped). */
  ownParameters(): [string, Tensor][] {
    return [...this.params].filter((e): e is [string, Tensor] => e[1] !== null);
  }

  ownBuffers(): [string, Tensor][] {
    return [...this.buffers];
  }

  namedParameters(): [string, Tensor][] {
    return this.collect((m) => m.ownParameters());
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): [string, Tensor][] {
    return this.collect((m) => m.ownBuffers());
  }

  /** Parameters and buffers by dotted name (the live tensors, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into this module's parameters and buffers. Shapes and dtypes must match.
   * Tensors on this module's backend are shared without a copy (tensors are never written in
   * place, so sharing is safe); tensors on a CPU backend are uploaded.
   */
  loadStateDict(state: ReadonlyMap<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      throw new Error(`loadStateDict(${this.constructor.name}): ${parts.join('; ')}`);
    }
    for (const [key, target] of own) {
      const source = state.get(key);
      if (!source) continue;
      if (!shapesEqual(source.shape, target.shape) || source.dtype !== target.dtype) {
        throw new Error(
          `loadStateDict(${this.constructor.name}): "${key}" expects ${formatShape(target.shape)} ${target.dtype}, got ${formatShape(source.shape)} ${source.dtype}`,
        );
      }
    }
    for (const [key, target] of own) {
      const source = state.get(key);
      if (!source) continue;
      target.assign(onBackendOf(source, target, key));
    }
    return { missing, unexpected };
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Frees every parameter, gradient and buffer of the tree. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const [, t] of m.ownParameters()) t.dispose();
      for (const [, t] of m.ownBuffers()) t.dispose();
    }
  }

  private collect(own: (m: Module) => [string, Tensor][]): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [path, m] of this.namedModules()) {
      for (const [name, t] of own(m)) {
        // A tensor shared by two modules (weight tying) is listed once, under its first name.
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([path ? `${path}.${name}` : name, t]);
      }
    }
    return out;
  }

  private assertFree(name: string): void {
    if (this.params.has(name) || this.buffers.has(name) || this.modules.has(name)) {
      throw new Error(`${this.constructor.name}: "${name}" is already registered`);
    }
  }
}

function onBackendOf(source: Tensor, target: Tensor, key: string): Tensor {
  if (source.backend === target.backend) return source;
  const read = source.backend.readSync;
  if (!read) {
    throw new Error(
      `loadStateDict: "${key}" lives on the ${source.backend.name} backend; copy it to ${target.backend.name} first (toBackend)`,
    );
  }
  return tensor(source.dataSync(), source.shape, { dtype: source.dtype, backend: target.backend });
}

/** Gives every parameter and buffer its dotted path as `name` (for error messages and logs). */
export function nameTensors(root: Module): void {
  for (const [name, t] of root.stateDict()) t.name = name;
}
