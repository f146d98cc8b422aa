/** Accumulation inside tfjs's own model.fit, with the optimizer's callback weighting each batch by its size. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { sgd } from "../../src/optim";
import { dataset } from "../optim/helpers";

function makeModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [6], units: 5, activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }));
  model.add(tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }));
  return model;
}

describe("accumulation in model.fit", () => {
  test("44 samples in batches of 8, windows of 4 batches, last window rescaled: equals batches of 32 and 12", async () => {
    const data = dataset(44, 12);
    const labels = tf.oneHot(data.y, 3);
    const accumulated = makeModel();
    const reference = makeModel();
    const optimizer = sgd({ lr: 0.5, accumulate: { steps: 4, lastWindow: "rescale" } });
    accumulated.compile({ optimizer, loss: "categoricalCrossentropy" });
    reference.compile({ optimizer: sgd({ lr: 0.5 }), loss: "categoricalCrossentropy" });

    await accumulated.fit(data.x, labels, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0, callbacks: [optimizer.fitCallback()] });
    await reference.trainOnBatch(data.x.slice(0, 32), labels.slice(0, 32));
    await reference.trainOnBatch(data.x.slice(32, 12), labels.slice(32, 12));

    assert.equal(optimizer.iterations, 2);
    const a = accumulated.getWeights().map((w) => Array.from(w.dataSync()));
    const b = reference.getWeights().map((w) => Array.from(w.dataSync()));
    a.forEach((values, i) => values.forEach((v, j) => assert.ok(Math.abs(v - b[i][j]) <= 1e-5, `weight ${i}[${j}]: ${v} vs ${b[i][j]}`)));
    accumulated.dispose();
    reference.dispose();
    tf.dispose([data.x, data.y, labels]);
  });
});
