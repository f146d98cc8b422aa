/**
 * Layer-wise accumulation and what acts once per update: each group updates when its own window completes;
 * schedules, clipping and the weight average see optimizer updates, never micro-batches.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adam, sgd } from "../../src/optim";
import { step as stepSchedule } from "../../src/schedule";
import { TinyMlp, dataset, maxRelativeDifference } from "../optim/helpers";

describe("layer-wise accumulation", () => {
  const data = dataset(64, 17);

  test("a backbone updated every 8 micro-batches and a head every micro-batch", () => {
    const model = new TinyMlp(5);
    const reference = new TinyMlp(5);
    const [w1, b1] = model.variables;
    const opt = sgd({ lr: 0.3, groups: [{ name: "backbone", params: [w1, b1], accumulateSteps: 8 }] });
    const headRef = sgd({ lr: 0.3 });
    const backboneRef = sgd({ lr: 0.3 });
    const backboneSum: tf.Tensor[] = [];
    for (let i = 0; i < 8; i++) {
      const grads = model.gradients(data, i * 8, i * 8 + 8);
      opt.applyGradients(grads, { itemCount: 8 });
      tf.dispose(Object.values(grads));
      // reference: head every micro-batch; backbone gradients taken at the same backbone weights, averaged at the end
      const ref = reference.gradients(data, i * 8, i * 8 + 8);
      const [rw1, rb1, rw2, rb2] = reference.variables;
      headRef.applyGradients({ [rw2.name]: ref[rw2.name], [rb2.name]: ref[rb2.name] });
      backboneSum.push(ref[rw1.name], ref[rb1.name]);
      tf.dispose([ref[rw2.name], ref[rb2.name]]);
      if (i < 7) assert.equal(opt.group("backbone").updates, 0);
    }
    const [rw1, rb1] = reference.variables;
    const mean = (offset: number) => tf.tidy(() => tf.addN(backboneSum.filter((_, j) => j % 2 === offset)).div(8));
    backboneRef.applyGradients({ [rw1.name]: mean(0), [rb1.name]: mean(1) });
    assert.equal(opt.group("backbone").updates, 1);
    assert.equal(opt.group("default").updates, 8);
    assert.ok(maxRelativeDifference(model.values(), reference.values()) <= 1e-5);
    tf.dispose(backboneSum);
    [opt, headRef, backboneRef].forEach((o) => o.dispose());
    [model, reference].forEach((m) => m.dispose());
  });
});

describe("once per optimizer update, never per micro-batch", () => {
  test("the schedule advances with updates (Keras 3 advances it on micro-steps, k× too fast)", () => {
    const v = tf.variable(tf.scalar(0));
    const opt = sgd({ lr: stepSchedule({ lr: 1, stepSize: 1, gamma: 0.5 }), accumulate: { steps: 4 } });
    const used: number[] = [];
    for (let i = 0; i < 12; i++) {
      opt.applyGradients({ [v.name]: tf.scalar(-1) });
      if (i % 4 === 3) used.push(opt.lastUpdate!.hyper.default.lr);
    }
    assert.deepEqual(used, [1, 0.5, 0.25]);
    assert.equal(v.dataSync()[0], 1.75);
    opt.dispose();
    v.dispose();
  });

  test("global-norm clipping acts on the window's mean gradient", () => {
    const v = tf.variable(tf.tensor1d([0, 0]));
    const opt = sgd({ lr: 1, clip: { globalNorm: 1 }, accumulate: { steps: 2 } });
    opt.applyGradients({ [v.name]: tf.tensor1d([6, 0]) }); // alone it would be clipped to norm 1
    opt.applyGradients({ [v.name]: tf.tensor1d([-6, 1]) }); // mean [0, 0.5]: under the limit
    assert.deepEqual(Array.from(v.dataSync()), [0, -0.5]);
    opt.dispose();
    v.dispose();
  });

  test("the weight average is updated per update", async () => {
    const v = tf.variable(tf.scalar(0));
    const opt = sgd({ lr: 1, ema: { decay: 0.5 }, accumulate: { steps: 2 } });
    for (let i = 0; i < 4; i++) opt.applyGradients({ [v.name]: tf.scalar(-1) }); // two updates: θ = 1, then 2
    assert.equal(await opt.withAveragedWeights(() => v.dataSync()[0]), 0.5 * 1 + 0.5 * 2);
    opt.dispose();
    v.dispose();
  });
});

describe("memory", () => {
  test("tf.memory().numTensors is unchanged across 100 accumulated updates", () => {
    const data = dataset(32, 3);
    const model = new TinyMlp(1);
    const opt = adam({ lr: 0.01, accumulate: { steps: 4 }, clip: { globalNorm: 1 }, ema: { decay: 0.9 } });
    const run = (updates: number) => {
      for (let i = 0; i < updates * 4; i++) {
        const grads = model.gradients(data, (i % 4) * 8, (i % 4) * 8 + 8);
        opt.applyGradients(grads, { itemCount: 8 });
        tf.dispose(Object.values(grads));
      }
    };
    run(2); // slots and averages now exist
    opt.noiseScale(); // reads (and frees) the norms kept for the noise-scale estimate
    const before = tf.memory().numTensors;
    run(100);
    opt.noiseScale();
    assert.equal(tf.memory().numTensors, before);
    assert.equal(opt.iterations, 102);
    opt.dispose();
    model.dispose();
    tf.dispose([data.x, data.y]);
  });
});
