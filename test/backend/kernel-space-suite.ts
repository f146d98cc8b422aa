/** The kernel property (kernel-property.ts) over a seed's random configurations, as a suite test files run. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { KERNEL_BUILDS, useKernelBuild } from "../../src/backend/kernels/simd";
import { checkCase, describeOutcome, HeapCanary } from "./kernel-property";
import { drawCase, FAMILIES } from "./kernel-space";

/**
 * The property over `cases` random configurations of seed `seed`, on each build of stepwise's kernels, on the
 * wasm backend the calling test file started (`label` names its binary and threads).
 */
export function describeKernelSpace(label: string, seed: number, cases: number): void {
  for (const build of KERNEL_BUILDS) describe(`every kernel configuration on wasm (${label}) equals cpu (stepwise's ${build} build)`, () => {
    let canary: HeapCanary;
    before(async () => {
      await tf.setBackend("wasm");
      useKernelBuild(build);
      canary = new HeapCanary();
    });
    after(() => canary.dispose());

    test(`${cases} random configurations (seed ${seed}), ${cases / FAMILIES.length} of each of ${FAMILIES.length} families`, async () => {
      const failures: string[] = [];
      const refusals = new Map<string, number>();
      for (let index = 0; index < cases; index++) {
        const c = drawCase(seed, index);
        const outcome = await checkCase(c, canary);
        if (outcome.failure) failures.push(describeOutcome(outcome, seed));
        if (c.refusal) refusals.set(c.family, (refusals.get(c.family) ?? 0) + 1);
      }
      assert.deepEqual(failures, [], `${failures.length} of ${cases} cases failed:\n${failures.join("\n")}`);
      // the space reaches the refusals too, not only the computations
      assert.ok([...refusals.values()].reduce((a, b) => a + b, 0) >= 10, `refusals drawn: ${JSON.stringify([...refusals])}`);
    });
  });
}
