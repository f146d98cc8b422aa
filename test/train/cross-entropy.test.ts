/**
 * sw.fit's cross-entropy of probabilities against class indices (one op with a written-out gradient) against
 * tfjs-layers' composed categoricalCrossentropy differentiated by tfjs's tape, the independent reference:
 * the same value bit for bit, the same gradient to 1e-6 of its largest entry, also for rows that do not sum
 * to 1 and for a probability clipped at ε (whose gradient is zero).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { crossEntropyOfProbabilities } from "../../src/train/cross-entropy";
import { randomValues } from "../optim/helpers";

describe("cross-entropy of probabilities against class indices", () => {
  test("value and gradient of tfjs-layers' categoricalCrossentropy, incl. unnormalised rows and a clipped probability", () => {
    const [rows, columns] = [9, 5];
    // positive scores, rows not normalised; the last row's label has a probability far below ε
    const values = randomValues(rows * columns, 7).map((v) => Math.abs(v) + 0.05);
    values[(rows - 1) * columns + 2] = 1e-12;
    const classes = Array.from({ length: rows }, (_, i) => (i === rows - 1 ? 2 : (i * 3) % columns));
    const p = tf.tensor2d(values, [rows, columns]);
    const indices = tf.tensor1d(classes, "int32");
    const composed = (x: tf.Tensor) => tf.metrics.categoricalCrossentropy(tf.oneHot(indices, columns), x).mean() as tf.Scalar;
    const fused = (x: tf.Tensor) => crossEntropyOfProbabilities(indices, x as tf.Tensor2D);
    const [expected, actual] = [composed, fused].map((loss) => tf.valueAndGrad(loss)(p));
    assert.equal(actual.value.dataSync()[0], expected.value.dataSync()[0], "the value, bit for bit");
    const [want, got] = [Array.from(expected.grad.dataSync()), Array.from(actual.grad.dataSync())];
    const largest = Math.max(...want.map(Math.abs));
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) <= 1e-6 * largest, `gradient [${i}]: ${got[i]} vs tfjs ${w}`));
    const clippedRow = got.slice((rows - 1) * columns);
    assert.deepEqual(clippedRow.map(Math.abs), Array(columns).fill(0), "the clipped row's gradient is zero");
    assert.ok(largest > 0.01, "the reference gradient is not trivially small");
    tf.dispose([p, indices, expected.value, expected.grad, actual.value, actual.grad]);
  });
});
