import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { adam, momentum, sgd } from "../../src/optim";
import { accumulationCheck, batchSizeSweep, compareOptimizers, gradientNoiseScale, lrRangeTest, trajectory } from "../../src/experiments";
import { illConditionedQuadratic, rosenbrock } from "../../src/data";
import { FunctionTarget } from "../../src/train";
import { randomValues } from "../optim/helpers";

function regression(n: number, seed: number, noise = 0.3) {
  const x = randomValues(n * 3, seed);
  const e = randomValues(n, seed + 1, noise);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 2 * x[3 * i] - 3 * x[3 * i + 1] + 0.5 * x[3 * i + 2] + 1 + e[i];
  return { x: tf.tensor2d(x, [n, 3]), y: tf.tensor2d(y, [n, 1]), raw: { x, y } };
}

function linear(name: string): FunctionTarget & { w: tf.Variable; b: tf.Variable } {
  const w = tf.variable(tf.zeros([3, 1]), true, `${name}/w`);
  const b = tf.variable(tf.zeros([1]), true, `${name}/b`);
  return { w, b, variables: [w, b], loss: (batch) => tf.losses.meanSquaredError(batch.y, batch.x.matMul(w).add(b)) as tf.Scalar };
}

describe("experiments", () => {
  const data = regression(256, 1);

  test("batch-size sweep: larger batches need fewer steps to the target, runs start from the same weights", async () => {
    const model = linear("sweep");
    // learning rate scaled with the batch size (Goyal et al. 2017), as a sweep should
    const points = await batchSizeSweep({ target: model, data, batchSizes: [4, 16, 64], optimizer: (b) => sgd({ lr: 0.005 * b }), targetLoss: 0.2, maxEpochs: 50 });
    assert.deepEqual(points.map((p) => p.reached), [true, true, true]);
    assert.ok(points[0].steps > points[1].steps && points[1].steps > points[2].steps, `steps ${points.map((p) => p.steps)}`);
    assert.deepEqual(Array.from(model.w.dataSync()), [0, 0, 0], "initial weights restored");
    tf.dispose(model.variables);
  });

  test("a diverging batch size is reported, not thrown", async () => {
    const model = linear("sweep-diverge");
    const [point] = await batchSizeSweep({ target: model, data, batchSizes: [8], optimizer: () => sgd({ lr: 40 }), targetLoss: 1e-9, maxEpochs: 5 });
    assert.equal(point.diverged, true);
    assert.equal(point.reached, false);
    tf.dispose(model.variables);
  });

  test("LR range test: the loss falls, then blows up; suggestions lie inside the range; weights restored", async () => {
    const model = linear("lrfind");
    const result = await lrRangeTest({ target: model, data, optimizer: (lr) => sgd({ lr }), minLr: 1e-4, maxLr: 100, steps: 120, batchSize: 16 });
    assert.ok(result.lrs.length < 120, "stops when the loss exceeds 4× its minimum");
    assert.ok(result.lrs.every((lr, i) => i === 0 || lr > result.lrs[i - 1]));
    assert.ok(result.steepest > 1e-4 && result.steepest < 10, `steepest ${result.steepest}`);
    assert.ok(result.minimumTenth < result.steepest * 10);
    assert.deepEqual(Array.from(model.w.dataSync()), [0, 0, 0]);
    tf.dispose(model.variables);
  });

  test("optimizer comparison: the same first batch from the same weights gives the same first loss", async () => {
    const model = linear("compare");
    const runs = await compareOptimizers({
      target: model,
      data,
      optimizers: { sgd: () => sgd({ lr: 0.05 }), momentum: () => momentum({ lr: 0.05 }), adam: () => adam({ lr: 0.05 }) },
      epochs: 2,
      batchSize: 32,
    });
    assert.deepEqual(runs.map((r) => r.name), ["sgd", "momentum", "adam"]);
    const firsts = runs.map((r) => r.history.steps[0].loss);
    assert.ok(firsts.every((l) => l === firsts[0]), `first losses ${firsts}`);
    assert.ok(runs.every((r) => r.history.steps.length === 16));
    tf.dispose(model.variables);
  });

  test("the optimizers an experiment makes are freed after their runs: no moment or accumulation left behind", async () => {
    const model = linear("owned");
    const before = tf.memory().numTensors;
    // stateful optimizers (momentum's velocity, Adam's moments, accumulation sums), so a leak shows in the count
    let [made, disposed] = [0, 0];
    const track = <O extends { dispose(): void }>(optimizer: O): O => {
      made++;
      const dispose = optimizer.dispose.bind(optimizer);
      optimizer.dispose = () => {
        disposed++;
        dispose();
      };
      return optimizer;
    };
    await compareOptimizers({ target: model, data, optimizers: { momentum: () => track(momentum({ lr: 0.05 })), adam: () => track(adam({ lr: 0.05, accumulate: { steps: 2 } })) }, epochs: 1, batchSize: 32 });
    assert.equal(tf.memory().numTensors, before, "tensors left behind by compareOptimizers");
    await batchSizeSweep({ target: model, data, batchSizes: [16, 64], optimizer: (b) => track(momentum({ lr: 0.002 * b })), targetLoss: 0.5, maxEpochs: 3 });
    assert.equal(tf.memory().numTensors, before, "tensors left behind by batchSizeSweep");
    await lrRangeTest({ target: model, data, optimizer: (lr) => track(adam({ lr })), minLr: 1e-4, maxLr: 10, steps: 30, batchSize: 16 });
    assert.equal(tf.memory().numTensors, before, "tensors left behind by lrRangeTest");
    assert.deepEqual({ made, disposed }, { made: 5, disposed: 5 });
    tf.dispose(model.variables);
  });

  test("accumulation check: 4 micro-batches of 8 match batches of 32 to float32 rounding", async () => {
    const model = linear("accum-check");
    const tensorsBefore = tf.memory().numTensors;
    const result = await accumulationCheck({ target: model, data, optimizer: (accumulate) => adam({ lr: 0.05, accumulate }), microBatchSize: 8, steps: 4 });
    assert.ok(result.maxRelativeDifference <= 1e-5, `difference ${result.maxRelativeDifference}`);
    assert.equal(result.largeBatchLosses.length, result.accumulatedLosses.length);
    // the two optimizers it made (Adam's moments, the accumulation sums) are freed, not left behind
    assert.equal(tf.memory().numTensors, tensorsBefore, "tensors left behind by accumulationCheck");
    tf.dispose(model.variables);
  });

  test("gradient noise scale agrees with tr(Σ)/|G|² computed from per-example gradients", async () => {
    const n = 256;
    const model = linear("noise");
    model.w.assign(tf.tensor2d([1, -1, 0], [3, 1])); // away from the optimum, so |G| is not tiny
    // per-example gradients of (ŷ − y)² for ŷ = x·w + b, in float64
    const w = Array.from(model.w.dataSync());
    const perExample = Array.from({ length: n }, (_, i) => {
      const row = [data.raw.x[3 * i], data.raw.x[3 * i + 1], data.raw.x[3 * i + 2]];
      const r = row[0] * w[0] + row[1] * w[1] + row[2] * w[2] - data.raw.y[i];
      return [...row.map((v) => 2 * r * v), 2 * r];
    });
    const mean = [0, 1, 2, 3].map((k) => perExample.reduce((s, g) => s + g[k], 0) / n);
    const g2 = mean.reduce((s, v) => s + v * v, 0);
    const trace = [0, 1, 2, 3].reduce((s, k) => s + perExample.reduce((t, g) => t + (g[k] - mean[k]) ** 2, 0) / n, 0);
    const estimate = await gradientNoiseScale({ target: model, data, smallBatch: 8, bigBatch: 64, repeats: 64 });
    const expected = trace / g2;
    assert.ok(Math.abs(estimate.bSimple - expected) / expected < 0.25, `B_simple ${estimate.bSimple} vs ${expected}`);
    tf.dispose(model.variables);
  });
});

describe("trajectories on 2-D test functions", () => {
  test("gradient descent on the ill-conditioned quadratic follows the closed form; momentum gets closer in as many steps", () => {
    const fn = illConditionedQuadratic({ condition: 10 });
    const gd = trajectory(fn, sgd({ lr: 0.05 }), { steps: 20, start: { x: 1, y: 1 } });
    // f = ½(x² + κy²) (unrotated): each step multiplies x by (1 − lr) and y by (1 − lr·κ)
    const expected = [Math.pow(0.95, 20), Math.pow(0.5, 20)];
    assert.ok(Math.abs(gd.points[20][0] - expected[0]) < 1e-5 && Math.abs(gd.points[20][1] - expected[1]) < 1e-6, `${gd.points[20]}`);
    const heavy = trajectory(fn, momentum({ lr: 0.05, momentum: 0.5 }), { steps: 20, start: { x: 1, y: 1 } });
    assert.ok(heavy.distanceToMinimum < gd.distanceToMinimum);
    const blowup = trajectory(rosenbrock(), sgd({ lr: 1 }), { steps: 50 });
    assert.equal(blowup.diverged, true);
    assert.ok(blowup.losses.every(Number.isFinite));
  });
});
