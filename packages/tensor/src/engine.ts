/**
 * Global engine state: the current backend, the stack of memory scopes, and whether gradients
 * are recorded. Tensors created inside `scope(fn)` are disposed when it returns, except those it
 * returns and those passed to `keep`.
 */
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu-backend.js';
import type { Tensor } from './tensor.js';

let currentBackend: Backend | null = null;
const scopes: Set<Tensor>[] = [];
let gradEnabled = true;

export function setBackend(backend: Backend): void {
  currentBackend = backend;
}

/** The backend new tensors are created on (the CPU backend unless another was set). */
export function getBackend(): Backend {
  if (currentBackend === null) currentBackend = new CpuBackend();
  return currentBackend;
}

/** Registers a new tensor with the innermost scope (internal). */
export function track(t: Tensor): void {
  const top = scopes[scopes.length - 1];
  if (top) top.add(t);
}

function untrack(t: Tensor): void {
  for (const s of scopes) s.delete(t);
}

/** Keeps a tensor alive past every enclosing scope; its owner must `dispose()` it. */
export function keep<T extends Tensor>(t: T): T {
  untrack(t);
  return t;
}

function collectTensors(value: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 3 || value === null || typeof value !== 'object') return;
  if ((value as { isTensor?: boolean }).isTensor === true) {
    out.add(value as Tensor);
    return;
  }
  const items = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  for (const v of items) collectTensors(v, out, depth + 1);
}

/**
 * Runs `fn` and disposes every tensor it created, except the ones in its result (a tensor, an
 * array or a plain object of tensors), which move to the enclosing scope. Synchronous on purpose:
 * record GPU work inside, await readbacks outside.
 */
export function scope<T>(fn: () => T): T {
  const mine = new Set<Tensor>();
  scopes.push(mine);
  let result: T;
  try {
    result = fn();
    if ((result as unknown) instanceof Promise)
      throw new Error('scope(fn): fn must be synchronous; await outside the scope');
  } finally {
    scopes.pop();
  }
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  for (const t of mine) {
    if (survivors.has(t)) track(t);
    else if (!t.disposed) t.dispose();
  }
  return result;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording operations for autograd. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}
