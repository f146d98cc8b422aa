/** Clipping, weight decay, EMA and non-finite handling against closed forms. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adam, lion, nadam, sgd } from "../../src/optim";
import { assertClose } from "./helpers";

const values = (v: tf.Tensor) => Array.from(v.dataSync());

describe("clipping", () => {
  test("by value clamps each element", () => {
    const v = tf.variable(tf.tensor1d([0, 0, 0]));
    const opt = sgd({ lr: 1, clip: { value: 0.5 } });
    opt.applyGradients({ [v.name]: tf.tensor1d([2, -0.25, -3]) });
    assert.deepEqual(values(v), [-0.5, 0.25, 0.5]);
    opt.dispose();
    v.dispose();
  });

  test("by norm scales each tensor to its own norm limit", () => {
    const a = tf.variable(tf.tensor1d([0, 0]));
    const b = tf.variable(tf.tensor1d([0, 0]));
    const opt = sgd({ lr: 1, clip: { norm: 1 } });
    opt.applyGradients({ [a.name]: tf.tensor1d([3, 4]), [b.name]: tf.tensor1d([0.3, 0.4]) });
    assertClose(a.dataSync(), [-0.6, -0.8], 1e-6, "a");
    assertClose(b.dataSync(), [-0.3, -0.4], 1e-6, "b (under the limit)");
    opt.dispose();
    tf.dispose([a, b]);
  });

  test("by global norm scales all tensors together, as torch's clip_grad_norm_", () => {
    const a = tf.variable(tf.tensor1d([0, 0]));
    const b = tf.variable(tf.tensor1d([0]));
    const opt = sgd({ lr: 1, clip: { globalNorm: 2.5 } });
    opt.applyGradients({ [a.name]: tf.tensor1d([3, 4]), [b.name]: tf.tensor1d([12]) }); // ‖g‖ = 13
    const c = 2.5 / (13 + 1e-6);
    assertClose(a.dataSync(), [-3 * c, -4 * c], 1e-6, "a");
    assertClose(b.dataSync(), [-12 * c], 1e-6, "b");
    assert.equal(opt.lastUpdate!.gradientNorm, 13);
    opt.dispose();
    tf.dispose([a, b]);
  });
});

describe("weight decay", () => {
  test("L2 adds λθ to the gradient; decoupled shrinks θ by lr·λ", () => {
    const a = tf.variable(tf.scalar(2));
    const b = tf.variable(tf.scalar(2));
    const l2 = sgd({ lr: 0.1, weightDecay: 0.5 });
    const decoupled = sgd({ lr: 0.1, weightDecay: 0.5, weightDecayMode: "decoupled" });
    l2.applyGradients({ [a.name]: tf.scalar(1) }); // 2 − 0.1·(1 + 1) = 1.8
    decoupled.applyGradients({ [b.name]: tf.scalar(1) }); // 2·(1 − 0.05) − 0.1 = 1.8
    assertClose(a.dataSync(), [1.8], 1e-6, "l2");
    assertClose(b.dataSync(), [1.8], 1e-6, "decoupled");
    // with Adam they differ: L2 decay is normalised away by the second moment, decoupled decay is not
    const c = tf.variable(tf.scalar(2));
    const d = tf.variable(tf.scalar(2));
    const adamL2 = adam({ lr: 0.1, weightDecay: 0.5 });
    const adamDecoupled = adam({ lr: 0.1, weightDecay: 0.5, weightDecayMode: "decoupled" });
    adamL2.applyGradients({ [c.name]: tf.scalar(1) });
    adamDecoupled.applyGradients({ [d.name]: tf.scalar(1) });
    assertClose(c.dataSync(), [2 - 0.1], 1e-6, "adam l2 (first step moves by lr)");
    assertClose(d.dataSync(), [2 * (1 - 0.05) - 0.1], 1e-6, "adam decoupled");
    [l2, decoupled, adamL2, adamDecoupled].forEach((o) => o.dispose());
    tf.dispose([a, b, c, d]);
  });
});

describe("update rules without a golden case", () => {
  test("NAdam (PyTorch ≥ 2.0 form) follows Dozat's update in float64", () => {
    const grads = [0.5, -1.2, 0.3, 2.0, -0.7];
    const [lr, b1, b2, eps, psi] = [0.1, 0.9, 0.999, 1e-8, 4e-3];
    let [p, m, v, prod] = [1, 0, 0, 1];
    const expected: number[] = [];
    grads.forEach((g, i) => {
      const t = i + 1;
      const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
      const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
      prod *= mu;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      const d = Math.sqrt(v / (1 - b2 ** t)) + eps;
      p -= (lr * (1 - mu)) / (1 - prod) * (g / d) + (lr * muNext) / (1 - prod * muNext) * (m / d);
      expected.push(p);
    });
    const variable = tf.variable(tf.tensor1d([1]));
    const opt = nadam({ lr });
    grads.forEach((g, i) => {
      opt.applyGradients({ [variable.name]: tf.tensor1d([g]) });
      assertClose(variable.dataSync(), [expected[i]], 1e-5, `nadam step ${i + 1}`);
    });
    opt.dispose();
    variable.dispose();
  });

  test("Lion follows Algorithm 2 of Chen et al. (2023) in float64", () => {
    const grads = [[0.5, -0.1], [-1.2, 0.2], [0.3, 0.0], [2.0, -0.3]];
    const [lr, b1, b2, wd] = [0.05, 0.9, 0.99, 0.1];
    let p = [1, -2];
    let m = [0, 0];
    const expected = grads.map((g) => {
      const c = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]);
      p = p.map((pi, i) => pi * (1 - lr * wd) - lr * Math.sign(c[i]));
      m = m.map((mi, i) => b2 * mi + (1 - b2) * g[i]);
      return [...p];
    });
    const variable = tf.variable(tf.tensor1d([1, -2]));
    const opt = lion({ lr, weightDecay: wd });
    grads.forEach((g, i) => {
      opt.applyGradients({ [variable.name]: tf.tensor1d(g) });
      assertClose(variable.dataSync(), expected[i], 1e-6, `lion step ${i + 1}`);
    });
    opt.dispose();
    variable.dispose();
  });
});

describe("exponential moving average of the weights", () => {
  test("θ̄ starts at θ after the first update, then θ̄ ← dθ̄ + (1 − d)θ; swapped in and back", async () => {
    const v = tf.variable(tf.scalar(0));
    const opt = sgd({ lr: 1, ema: { decay: 0.5 } });
    let shadow = 0;
    let theta = 0;
    for (let i = 0; i < 4; i++) {
      opt.applyGradients({ [v.name]: tf.scalar(-1) });
      theta += 1;
      shadow = i === 0 ? theta : 0.5 * shadow + 0.5 * theta;
    }
    const seen = await opt.withAveragedWeights(() => v.dataSync()[0]);
    assert.equal(seen, shadow);
    assert.equal(v.dataSync()[0], theta);
    opt.dispose();
    v.dispose();
  });
});

describe("non-finite gradients", () => {
  test("throw an error naming the parameter, or skip the update when asked", () => {
    const ok = tf.variable(tf.scalar(1), true, "nf/ok");
    const bad = tf.variable(tf.tensor1d([1, 2]), true, "nf/bad");
    const strict = sgd({ lr: 0.1 });
    assert.throws(
      () => strict.applyGradients({ [ok.name]: tf.scalar(1), [bad.name]: tf.tensor1d([1, NaN]) }),
      /non-finite gradient for parameter "nf\/bad" at update 1; pass nonFinite: "skip"/,
    );
    const lenient = sgd({ lr: 0.1, nonFinite: "skip" });
    lenient.applyGradients({ [ok.name]: tf.scalar(1), [bad.name]: tf.tensor1d([Infinity, 0]) });
    assert.equal(lenient.skippedUpdates, 1);
    assert.equal(lenient.iterations, 0);
    assert.deepEqual(values(bad), [1, 2]);
    strict.dispose();
    lenient.dispose();
    tf.dispose([ok, bad]);
  });
});
