/**
 * Identity (tf.clone) and same-dtype Cast on wasm share their input's buffer: the values must still behave as
 * copies (disposing or reassigning the source leaves the result unchanged) and nothing may leak.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { onCpuAndWasm, setUpWasm, valuesOn } from "./helpers";

before(setUpWasm);

describe("Identity and Cast on wasm", () => {
  test("results outlive their source: disposed tensors and reassigned variables", async () => {
    await tf.setBackend("wasm");
    const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
    const source = tf.tensor([1.5, -2, 3], [3]);
    const copy = tf.clone(source);
    const cast = tf.cast(source, "float32");
    source.dispose();
    assert.deepEqual(Array.from(copy.dataSync()), [1.5, -2, 3]);
    assert.deepEqual(Array.from(cast.dataSync()), [1.5, -2, 3]);
    const initial = tf.tensor([4, 5], [2]);
    const variable = tf.variable(initial);
    const snapshot = tf.clone(variable);
    const next = tf.tensor([6, 7], [2]);
    variable.assign(next);
    assert.deepEqual(Array.from(snapshot.dataSync()), [4, 5]);
    assert.deepEqual(Array.from(variable.dataSync()), [6, 7]);
    tf.dispose([copy, cast, snapshot, variable, initial, next]);
    assert.equal(tf.memory().numTensors, before.tensors, "tensors leaked");
    assert.equal(tf.engine().backend.numDataIds(), before.buffers, "buffers leaked");
  });

  test("real conversions convert as on cpu: float32 → int32 truncates, x ≠ 0 → bool (NaN too), int32 → float32", async () => {
    const values = [2.7, -2.7, 0, 0.4, -0.0, 5, NaN, 256];
    const results = await onCpuAndWasm(() => {
      const x = tf.tensor(values);
      return [tf.cast(tf.cast(x, "int32"), "float32"), tf.cast(tf.cast(x, "bool"), "float32"), tf.cast(tf.cast(tf.cast(x, "int32"), "bool"), "float32")];
    });
    results.cpu.forEach((expected, i) => assert.deepEqual(Array.from(results.wasm[i]), Array.from(expected), `output ${i}`));
  });

  test("gradients through identity and cast match cpu", async () => {
    const w = await valuesOn("cpu", () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.clone(tf.cast(x, "float32")), x)))(tf.tensor([1, -2, 3])));
    const v = await valuesOn("wasm", () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.clone(tf.cast(x, "float32")), x)))(tf.tensor([1, -2, 3])));
    assert.deepEqual(Array.from(v[0]), Array.from(w[0]));
  });
});
