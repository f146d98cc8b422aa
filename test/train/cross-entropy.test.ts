/**
 * sw.fit's cross-entropies against class indices (cross-entropy.ts: one op each, the gradient written out)
 * against tfjs's composed losses differentiated by tfjs's tape, the independent reference.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { crossEntropyOfLogits, crossEntropyOfProbabilities } from "../../src/train/cross-entropy";
import { resolveLoss } from "../../src/train/loss";
import { randomValues } from "../optim/helpers";
import { seeded, setUpWasm } from "../backend/helpers";

before(setUpWasm);

/** Value and gradient of `loss` at `x`, read back and disposed. */
function valueAndGrad(loss: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor): { value: number; grad: Float32Array } {
  const { value, grad } = tf.valueAndGrad(loss)(x);
  const result = { value: value.dataSync()[0], grad: Float32Array.from(grad.dataSync()) };
  tf.dispose([value, grad]);
  return result;
}

describe("softmax cross-entropy of logits against class indices", () => {
  for (const backend of ["cpu", "wasm"]) {
    test(`${backend}: tfjs-core's softmaxCrossEntropy bit for bit, value and gradient, over 200 random shapes and scales`, async () => {
      await tf.setBackend(backend);
      const random = seeded(20261202);
      const before = tf.memory().numTensors;
      for (let c = 0; c < 200; c++) {
        const rows = 1 + random.int(40);
        const columns = 2 + random.int(14);
        // logits from near zero to far beyond exp's float32 range (the row maximum shift keeps them finite)
        const scale = [0.01, 1, 10, 120][c % 4];
        const z = tf.tensor2d(Array.from({ length: rows * columns }, () => scale * random.normal()), [rows, columns]);
        const classes = tf.tensor1d(Array.from({ length: rows }, () => random.int(columns)), "int32");
        const reference = valueAndGrad((x) => tf.losses.softmaxCrossEntropy(tf.oneHot(classes, columns), x) as tf.Scalar, z);
        const fused = valueAndGrad((x) => crossEntropyOfLogits(classes, x as tf.Tensor2D), z);
        const where = `case ${c}: ${rows}×${columns}, scale ${scale}`;
        assert.ok(Number.isFinite(reference.value), `${where}: the reference is finite`);
        assert.equal(fused.value, reference.value, `${where}: the value`);
        assert.deepEqual(fused.grad, reference.grad, `${where}: the gradient`);
        tf.dispose([z, classes]);
      }
      assert.equal(tf.memory().numTensors, before, "tensors left behind");
    });
  }

  test("the named loss takes the fused op for class indices, [N] or [N, 1], and tfjs's for one-hot rows", async () => {
    await tf.setBackend("wasm");
    const loss = resolveLoss("softmaxCrossEntropy");
    const z = tf.tensor2d(randomValues(6 * 4, 11, 3), [6, 4]);
    const indices = [3, 0, 1, 1, 2, 0];
    const expected = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(indices, "int32"), 4), z).dataSync()[0];
    for (const y of [tf.tensor1d(indices, "int32"), tf.tensor1d(indices, "float32"), tf.tensor2d(indices, [6, 1]), tf.oneHot(tf.tensor1d(indices, "int32"), 4)]) {
      assert.equal(loss(y, z).dataSync()[0], expected, `targets ${y.dtype} [${y.shape}]`);
    }
  });
});

describe("cross-entropy of probabilities against class indices", () => {
  test("value and gradient of tfjs-layers' categoricalCrossentropy, incl. unnormalised rows and a clipped probability", async () => {
    await tf.setBackend("cpu");
    const [rows, columns] = [9, 5];
    // positive scores, rows not normalised; the last row's label has a probability far below ε
    const values = randomValues(rows * columns, 7).map((v) => Math.abs(v) + 0.05);
    values[(rows - 1) * columns + 2] = 1e-12;
    const classes = Array.from({ length: rows }, (_, i) => (i === rows - 1 ? 2 : (i * 3) % columns));
    const p = tf.tensor2d(values, [rows, columns]);
    const indices = tf.tensor1d(classes, "int32");
    const composed = (x: tf.Tensor) => tf.metrics.categoricalCrossentropy(tf.oneHot(indices, columns), x).mean() as tf.Scalar;
    const fused = (x: tf.Tensor) => crossEntropyOfProbabilities(indices, x as tf.Tensor2D);
    const [expected, actual] = [composed, fused].map((loss) => valueAndGrad(loss, p));
    assert.equal(actual.value, expected.value, "the value, bit for bit");
    const largest = Math.max(...expected.grad.map(Math.abs));
    expected.grad.forEach((w, i) => assert.ok(Math.abs(actual.grad[i] - w) <= 1e-6 * largest, `gradient [${i}]: ${actual.grad[i]} vs tfjs ${w}`));
    const clippedRow = Array.from(actual.grad.slice((rows - 1) * columns));
    assert.deepEqual(clippedRow.map(Math.abs), Array(columns).fill(0), "the clipped row's gradient is zero");
    assert.ok(largest > 0.01, "the reference gradient is not trivially small");
    tf.dispose([p, indices]);
  });
});
