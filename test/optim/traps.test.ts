/**
 * The tfjs optimizer traps users hit, each shown not to exist here: live learning-rate and momentum
 * changes take effect, updating a subset of variables keeps every variable's own state, and Adamax
 * (like every optimizer) saves and restores its state.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adam, adamax, momentum, sgd } from "../../src/optim";

describe("tfjs traps avoided", () => {
  test("SGD: a new learning rate takes effect at the next update", () => {
    const v = tf.variable(tf.scalar(1));
    const opt = sgd({ lr: 0.1 });
    opt.applyGradients({ [v.name]: tf.scalar(1) });
    assert.ok(Math.abs(v.dataSync()[0] - 0.9) < 1e-7);
    opt.setLearningRate(0.5);
    opt.applyGradients({ [v.name]: tf.scalar(1) });
    assert.ok(Math.abs(v.dataSync()[0] - 0.4) < 1e-6, `got ${v.dataSync()[0]}`);
    opt.dispose();
    v.dispose();
  });

  test("Momentum: a new momentum takes effect at the next update", () => {
    const v = tf.variable(tf.scalar(0));
    const opt = momentum({ lr: 1, momentum: 0.9 });
    opt.applyGradients({ [v.name]: tf.scalar(1) }); // buffer 1, θ = −1
    opt.setHyperparameters({ momentum: 0.5 });
    opt.applyGradients({ [v.name]: tf.scalar(1) }); // buffer 0.5·1 + 1 = 1.5, θ = −2.5
    assert.ok(Math.abs(v.dataSync()[0] + 2.5) < 1e-6, `got ${v.dataSync()[0]}`);
    opt.dispose();
    v.dispose();
  });

  test("updating a subset of variables keeps each variable's own state", () => {
    const [a, b] = [tf.variable(tf.tensor1d([1, 2])), tf.variable(tf.tensor1d([3, 4, 5]))];
    const [a2, b2] = [tf.variable(tf.tensor1d([1, 2])), tf.variable(tf.tensor1d([3, 4, 5]))];
    const shared = adam({ lr: 0.1 });
    const [onlyA, onlyB] = [adam({ lr: 0.1 }), adam({ lr: 0.1 })];
    const ga = () => tf.tensor1d([0.3, -0.2]);
    const gb = () => tf.tensor1d([0.1, 0.5, -1]);
    // one optimizer sees b alone, then a alone, then both — in varying order
    shared.applyGradients({ [b.name]: gb() });
    shared.applyGradients({ [a.name]: ga() });
    shared.applyGradients([{ name: a.name, tensor: ga() }, { name: b.name, tensor: gb() }]);
    onlyB.applyGradients({ [b2.name]: gb() });
    onlyA.applyGradients({ [a2.name]: ga() });
    onlyA.applyGradients({ [a2.name]: ga() });
    onlyB.applyGradients({ [b2.name]: gb() });
    assert.deepEqual(Array.from(a.dataSync()), Array.from(a2.dataSync()));
    assert.deepEqual(Array.from(b.dataSync()), Array.from(b2.dataSync()));
    tf.dispose([a, b, a2, b2]);
    [shared, onlyA, onlyB].forEach((o) => o.dispose());
  });

  test("Adamax saves and restores its state through getWeights/setWeights", async () => {
    const v = tf.variable(tf.tensor1d([1, -1]));
    const opt = adamax({ lr: 0.1 });
    opt.applyGradients({ [v.name]: tf.tensor1d([0.5, -2]) });
    const saved = (await opt.getWeights()).map(({ name, tensor }) => ({ name, tensor: tensor.clone() }));
    const copy = adamax({ lr: 0.1 });
    await copy.setWeights(saved);
    const before = v.clone();
    opt.applyGradients({ [v.name]: tf.tensor1d([0.1, 0.2]) });
    const afterOriginal = Array.from(v.dataSync());
    v.assign(before);
    copy.applyGradients({ [v.name]: tf.tensor1d([0.1, 0.2]) });
    assert.deepEqual(Array.from(v.dataSync()), afterOriginal);
    assert.equal(copy.iterations, 2);
    tf.dispose([v, before, ...saved.map((s) => s.tensor)]);
    opt.dispose();
    copy.dispose();
  });
});
