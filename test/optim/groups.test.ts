import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adam, sgd } from "../../src/optim";
import { step as stepSchedule, cosine } from "../../src/schedule";

describe("parameter groups", () => {
  test("a backbone group with a 10× smaller learning rate, a frozen group and the default group", () => {
    const backbone = tf.variable(tf.tensor1d([1, 1]), true, "net/backbone/w");
    const frozen = tf.variable(tf.tensor1d([1]), true, "net/embedding/w");
    const head = tf.variable(tf.tensor1d([1]), true, "net/head/w");
    const opt = sgd({
      lr: 0.1,
      groups: [
        { name: "backbone", params: /backbone/, lr: 0.01 },
        { name: "embedding", params: [frozen], frozen: true },
      ],
    });
    opt.applyGradients({ [backbone.name]: tf.tensor1d([1, 2]), [frozen.name]: tf.tensor1d([5]), [head.name]: tf.tensor1d([1]) });
    assert.deepEqual(Array.from(backbone.dataSync()), [Math.fround(0.99), Math.fround(0.98)]);
    assert.deepEqual(Array.from(frozen.dataSync()), [1]);
    assert.deepEqual(Array.from(head.dataSync()), [Math.fround(0.9)]);
    assert.deepEqual(opt.groups.map((g) => g.name), ["backbone", "embedding", "default"]);
    assert.equal(opt.groupOf(head.name).name, "default");
    tf.dispose([backbone, frozen, head]);
    opt.dispose();
  });

  test("each group has its own hyperparameters and changing one group leaves the others", () => {
    const a = tf.variable(tf.scalar(0), true, "g/a");
    const b = tf.variable(tf.scalar(0), true, "g/b");
    const opt = adam({ lr: 0.1, groups: [{ name: "slow", params: ["g/a"], beta1: 0 }] });
    assert.equal(opt.group("slow").hyper.beta1, 0);
    assert.equal(opt.group("default").hyper.beta1, 0.9);
    opt.setHyperparameters({ lr: 0.5 }, "slow");
    assert.equal(opt.currentHyperparameters("slow").lr, 0.5);
    assert.equal(opt.currentHyperparameters().lr, 0.1);
    tf.dispose([a, b]);
    opt.dispose();
  });

  test("a schedule is evaluated at the group's update count", () => {
    const v = tf.variable(tf.scalar(0));
    const schedule = stepSchedule({ lr: 1, stepSize: 2, gamma: 0.5 });
    const opt = sgd({ lr: schedule });
    const used: number[] = [];
    for (let i = 0; i < 5; i++) {
      opt.applyGradients({ [v.name]: tf.scalar(-1) });
      used.push(opt.lastUpdate!.hyper.default.lr);
    }
    assert.deepEqual(used, [1, 1, 0.5, 0.5, 0.25]);
    assert.ok(Math.abs(v.dataSync()[0] - 3.25) < 1e-6);
    tf.dispose(v);
    opt.dispose();
  });

  test("momentum and beta1 can follow schedules too", () => {
    const v = tf.variable(tf.scalar(0));
    const opt = adam({ lr: 0.1, beta1: cosine({ lr: 0.9, tMax: 10, etaMin: 0.5 }) });
    opt.applyGradients({ [v.name]: tf.scalar(1) });
    opt.applyGradients({ [v.name]: tf.scalar(1) });
    assert.ok(Math.abs(opt.lastUpdate!.hyper.default.beta1 - cosine({ lr: 0.9, tMax: 10, etaMin: 0.5 })(1)) < 1e-12);
    tf.dispose(v);
    opt.dispose();
  });

  test("group options are checked", () => {
    assert.throws(() => sgd({ lr: 0.1, groups: [{ params: /x/, lr: -1 }] }), /sgd: groups\[0\]\.lr must be > 0, got -1/);
    assert.throws(() => sgd({ lr: 0.1, groups: [{ params: /x/, betaOne: 1 }] }), /unknown option "groups\[0\]\.betaOne"/);
    assert.throws(() => sgd({ lr: 0.1, groups: [{ name: "a", params: /x/ }, { name: "a", params: /y/ }] }), /two parameter groups are named "a"/);
    assert.throws(() => sgd({ lr: 0.1, groups: [{ params: /x/, accumulateSteps: 0 }] }), /accumulateSteps must be an integer >= 1/);
    const opt = sgd({ lr: 0.1 });
    assert.throws(() => opt.group("head"), /unknown parameter group "head" \(groups: default\)/);
    opt.dispose();
  });
});
