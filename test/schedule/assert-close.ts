import assert from "node:assert/strict";

/** Relative tolerance for values computed in different orders (PyTorch's recursive forms vs closed forms). */
export const RELATIVE_TOLERANCE = 1e-9;

/** Asserts |actual - expected| <= 1e-9 * |expected| at every index (an exact 0 must be matched to 1e-15). */
export function assertAllClose(actual: readonly number[], expected: readonly number[], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  expected.forEach((e, i) => {
    const a = actual[i];
    const ok = Math.abs(a - e) <= RELATIVE_TOLERANCE * Math.abs(e) + 1e-15;
    if (!ok) assert.fail(`${label}: at step ${i} got ${a}, expected ${e}`);
  });
}
