/**
 * The model walk shared by every exporter (ONNX float/QDQ, packed): writers registered per module
 * class (the most specific class wins), host copies of what each writer needs read back with one
 * `await` before a synchronous walk (so export works on every backend), and the walk itself run
 * in eval mode.
 */
import type { Module } from '@fracbits/nn';
import { noGrad, scope, type Tensor } from '@fracbits/tensor';

// biome-ignore lint/suspicious/noExplicitAny: constructors of any signature are registry keys.
export type ModuleClass<M extends Module = Module> = abstract new (...args: any[]) => M;

/**
 * Writers by module class. Built-ins are loaded on first use (so writer modules may import the
 * registry's owner without an initialisation cycle) and never replace a user registration.
 */
export class WriterRegistry<W> {
  private readonly writers = new Map<unknown, W>();
  private builtinsLoaded = false;

  constructor(private readonly builtins: () => Iterable<readonly [ModuleClass, W]>) {}

  private ensureBuiltins(): void {
    if (this.builtinsLoaded) return;
    this.builtinsLoaded = true;
    for (const [cls, writer] of this.builtins()) if (!this.writers.has(cls)) this.writers.set(cls, writer);
  }

  set(cls: ModuleClass, writer: W): void {
    this.ensureBuiltins();
    this.writers.set(cls, writer);
  }

  /** The writer of the most specific registered class of `module`, or undefined. */
  find(module: Module): W | undefined {
    this.ensureBuiltins();
    for (let proto = Object.getPrototypeOf(module); proto; proto = Object.getPrototypeOf(proto)) {
      const w = this.writers.get(proto.constructor);
      if (w) return w;
    }
    return undefined;
  }
}

/** A module path for messages ('' is the root, shown as 'model'). */
export function pathName(path: string): string {
  return path || 'model';
}

/**
 * Reads back, for every module of `root` (each once), the tensors `readsOf` lists (called under
 * noGrad inside a scope, so tensors it computes are freed after the read-back). An error thrown
 * by `readsOf` is reported with the module's path and class.
 */
export async function readModuleData(
  root: Module,
  readsOf: (module: Module, path: string) => Tensor[],
  caller: string,
): Promise<Map<Module, Float32Array[]>> {
  const entries: { module: Module; count: number }[] = [];
  const seen = new Set<Module>();
  // Views are fresh tensors sharing storage: the scope frees what the writers computed, the
  // views keep the storage alive until they are disposed below, and parameters or cached
  // constants returned by `readsOf` are never disposed here.
  const views = noGrad(() =>
    scope(() => {
      const all: Tensor[] = [];
      for (const [path, m] of root.namedModules()) {
        if (seen.has(m)) continue;
        seen.add(m);
        let reads: Tensor[];
        try {
          reads = readsOf(m, path);
        } catch (e) {
          const message = (e as Error).message;
          if (message.startsWith(caller)) throw e;
          throw new Error(`${caller}: module "${pathName(path)}" (${m.constructor.name}): ${message}`, {
            cause: e,
          });
        }
        entries.push({ module: m, count: reads.length });
        all.push(...reads);
      }
      return all.map((t) => t.view(t.shape));
    }),
  );
  try {
    const values = await Promise.all(views.map((t) => t.data()));
    const out = new Map<Module, Float32Array[]>();
    let i = 0;
    for (const { module, count } of entries) {
      out.set(
        module,
        values.slice(i, i + count).map((v) => Float32Array.from(v)),
      );
      i += count;
    }
    return out;
  } finally {
    for (const t of views) t.dispose();
  }
}

/** Runs `fn` with every module of `root` in eval mode, restoring each module's flag after. */
export function inEvalMode<T>(root: Module, fn: () => T): T {
  const wasTraining = root.namedModules().map(([, m]) => [m, m.training] as const);
  root.eval();
  try {
    return fn();
  } finally {
    for (const [m, training] of wasTraining) m.training = training;
  }
}

/**
 * Calls a writer, prefixing errors that do not already start with `caller` by the module's path
 * and class (so every message names where in the model it happened).
 */
export function withModuleContext<T>(caller: string, module: Module, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const message = (e as Error).message;
    if (message.startsWith(caller)) throw e;
    throw new Error(`${caller}: module "${pathName(path)}" (${module.constructor.name}): ${message}`, {
      cause: e,
    });
  }
}
