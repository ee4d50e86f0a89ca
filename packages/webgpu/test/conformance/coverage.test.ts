/**
 * Every op @fracbits/tensor registers needs a conformance case: an op added without one fails
 * here with its name, so the suite keeps up with the op set.
 */
import { listOps } from '@fracbits/tensor';
import { expect, it } from 'vitest';
import { elementwiseCases } from './elementwise.cases.js';
import { nnOpCases } from './nn-ops.cases.js';
import { tensorOpCases } from './tensor-ops.cases.js';

it('every registered op of @fracbits/tensor has a conformance case', () => {
  const covered = new Set([...elementwiseCases, ...tensorOpCases, ...nnOpCases].flatMap((c) => c.ops));
  const missing = listOps().filter((op) => !covered.has(op));
  expect(missing, `ops without a cpu-vs-webgpu case (add them to test/conformance/*.cases.ts)`).toEqual([]);
});

it('cases only name registered ops', () => {
  const registered = new Set(listOps());
  const unknown = [...elementwiseCases, ...tensorOpCases, ...nnOpCases]
    .flatMap((c) => c.ops)
    .filter((op) => !registered.has(op));
  expect([...new Set(unknown)]).toEqual([]);
});
