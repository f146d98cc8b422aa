/**
 * OneHot on wasm equals cpu for every dtype (tfjs-backend-wasm 4.22 wrote int32 bits into float32 and bool
 * outputs and truncated the on/off values): random index shapes, depths, indices outside [0, depth), and
 * on/off values, integer and fractional.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { onCpuAndWasm, seeded, setUpWasm } from "./helpers";

before(setUpWasm);

describe("OneHot on wasm matches cpu", () => {
  test("300 random configurations of dtype, shape, depth, indices and on/off values", async () => {
    const random = seeded(20261204);
    const dtypes = ["float32", "int32", "bool"] as const;
    for (let c = 0; c < 300; c++) {
      const dtype = dtypes[c % 3];
      const depth = 2 + random.int(11);
      const shape = random.int(2) === 0 ? [1 + random.int(20)] : [1 + random.int(5), 1 + random.int(5)];
      const count = shape.reduce((a, b) => a * b, 1);
      // mostly valid indices, some below 0 or at depth and beyond: those rows are all off
      const indices = Array.from({ length: count }, () => random.int(depth + 4) - 2);
      const integral = dtype !== "float32" || random.int(2) === 0;
      const [onValue, offValue] = dtype === "bool" ? [1, 0] : integral ? [random.int(9) - 4, random.int(9) - 4] : [random.normal(), random.normal()];
      const { cpu, wasm } = await onCpuAndWasm(() => tf.oneHot(tf.tensor(indices, shape, "int32"), depth, onValue, offValue, dtype));
      assert.deepEqual(wasm[0], cpu[0], `case ${c}: ${dtype} [${shape}] depth ${depth}, on ${onValue}, off ${offValue}, indices ${indices}`);
    }
  });
});
