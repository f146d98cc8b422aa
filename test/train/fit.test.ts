import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { adam, sgd } from "../../src/optim";
import { DivergenceError, InterruptedError, fit, FunctionTarget, History } from "../../src/train";
import { randomValues } from "../optim/helpers";
import { twoMoons } from "../../src/data";
import { piecewiseConstant } from "../../src/schedule";

/** y = X·w + b + noise, with the OLS solution computed in float64 as the reference. */
function regression(n: number, seed: number) {
  const trueW = [2, -3, 0.5];
  const x = randomValues(n * 3, seed);
  const noise = randomValues(n, seed + 1, 0.1);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = x[3 * i] * trueW[0] + x[3 * i + 1] * trueW[1] + x[3 * i + 2] * trueW[2] + 1 + noise[i];
  return { x: tf.tensor2d(x, [n, 3]), y: tf.tensor2d(y, [n, 1]), raw: { x, y } };
}

function linearModel(name: string): FunctionTarget & { w: tf.Variable; b: tf.Variable } {
  const w = tf.variable(tf.zeros([3, 1]), true, `${name}/w`);
  const b = tf.variable(tf.zeros([1]), true, `${name}/b`);
  return {
    w,
    b,
    variables: [w, b],
    loss: (batch) => tf.losses.meanSquaredError(batch.y, batch.x.matMul(w).add(b)) as tf.Scalar,
  };
}

/** Least squares with an intercept, by the normal equations in float64. */
function ols(x: Float32Array, y: Float32Array, n: number): number[] {
  const A = Array.from({ length: 4 }, () => new Array(4).fill(0));
  const v = new Array(4).fill(0);
  for (let i = 0; i < n; i++) {
    const row = [x[3 * i], x[3 * i + 1], x[3 * i + 2], 1];
    for (let r = 0; r < 4; r++) {
      v[r] += row[r] * y[i];
      for (let c = 0; c < 4; c++) A[r][c] += row[r] * row[c];
    }
  }
  for (let col = 0; col < 4; col++) {
    for (let r = col + 1; r < 4; r++) {
      const f = A[r][col] / A[col][col];
      for (let c = col; c < 4; c++) A[r][c] -= f * A[col][c];
      v[r] -= f * v[col];
    }
  }
  const solution = new Array(4).fill(0);
  for (let r = 3; r >= 0; r--) solution[r] = (v[r] - A[r].slice(r + 1).reduce((s, a, k) => s + a * solution[r + 1 + k], 0)) / A[r][r];
  return solution;
}

const losses = (h: History) => h.steps.map((s) => [s.loss, s.lr, s.gradientNorm, s.items]);

describe("fit", () => {
  const data = regression(64, 3);

  test("full-batch gradient descent converges to the least-squares solution", async () => {
    const model = linearModel("ols");
    const history = await fit(model, { optimizer: sgd({ lr: 0.3 }), data, epochs: 300, batchSize: "full", progress: "none" });
    assert.equal(history.steps.length, 300);
    const expected = ols(data.raw.x, data.raw.y, 64);
    const got = [...model.w.dataSync(), ...model.b.dataSync()];
    got.forEach((g, i) => assert.ok(Math.abs(g - expected[i]) < 1e-4, `coefficient ${i}: ${g} vs ${expected[i]}`));
    tf.dispose(model.variables);
  });

  test("full-batch, SGD and mini-batch are one loop with different batch sizes", async () => {
    for (const [batchSize, perEpoch] of [["full", 1], [1, 64], [10, 7]] as const) {
      const model = linearModel(`bs${batchSize}`);
      const history = await fit(model, { optimizer: sgd({ lr: 0.01 }), data, epochs: 2, batchSize, progress: "none" });
      assert.equal(history.steps.length, 2 * perEpoch, `batch size ${batchSize}`);
      assert.equal(history.epochs.length, 2);
      assert.equal(history.steps.at(-1)!.items, batchSize === 10 ? 4 : batchSize === 1 ? 1 : 64);
      tf.dispose(model.variables);
    }
  });

  test("the same seed gives identical histories; another seed another order", async () => {
    const run = async (seed: number, name: string) => {
      const model = linearModel(name);
      const history = await fit(model, { optimizer: adam({ lr: 0.05 }), data, epochs: 3, batchSize: 8, seed, progress: "none" });
      tf.dispose(model.variables);
      return losses(history);
    };
    const [a, b, c] = [await run(7, "seedA"), await run(7, "seedB"), await run(8, "seedC")];
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  test("no tensor leaks: tf.memory().numTensors is flat from the second epoch on", async () => {
    const model = linearModel("leak");
    const counts: number[] = [];
    await fit(model, {
      optimizer: adam({ lr: 0.01, accumulate: { steps: 3 }, ema: { decay: 0.9 } }),
      data,
      validation: data,
      epochs: 5,
      batchSize: 8,
      progress: "none",
      callbacks: { onEpochEnd: () => void counts.push(tf.memory().numTensors) },
    });
    assert.equal(new Set(counts.slice(1)).size, 1, `tensor counts per epoch: ${counts}`);
    tf.dispose(model.variables);
  });

  test("a divergent run stops with an error naming the micro-batch and the last finite loss", async () => {
    const model = linearModel("diverge");
    await assert.rejects(
      fit(model, { optimizer: sgd({ lr: 50 }), data, epochs: 5, batchSize: 16, progress: "none" }),
      (error: unknown) => {
        assert.ok(error instanceof DivergenceError);
        assert.match(error.message, /non-finite loss at micro-batch \d+ \(epoch \d, after \d+ updates\); last finite loss [\d.e+]+/);
        assert.ok(Number.isFinite(error.divergence.lastFiniteLoss));
        return true;
      },
    );
    const again = linearModel("diverge2");
    const history = await fit(again, { optimizer: sgd({ lr: 50 }), data, epochs: 5, batchSize: 16, progress: "none", onDivergence: "stop" });
    assert.ok(history.diverged);
    assert.ok(history.steps.every((s) => Number.isFinite(s.loss)));
    tf.dispose([...model.variables, ...again.variables]);
  });

  test("accumulation: one record per optimizer update, each over the window's items", async () => {
    const model = linearModel("accum");
    const history = await fit(model, { optimizer: sgd({ lr: 0.05, accumulate: { steps: 4, lastWindow: "rescale" } }), data, epochs: 1, batchSize: 5, progress: "none" });
    // 13 micro-batches (12 of 5, one of 4): 3 windows of 20 items, then the rescaled last one of 4 items
    assert.deepEqual(history.steps.map((s) => s.items), [20, 20, 20, 4]);
    tf.dispose(model.variables);
  });

  test("early stopping stops after `patience` epochs without improvement and restores the best weights", async () => {
    const model = linearModel("early");
    let bestW: number[] = [];
    let bestLoss = Infinity;
    const history = await fit(model, {
      optimizer: sgd({ lr: 0.9 }), // too large: the loss oscillates upwards after a few epochs
      data,
      validation: data,
      epochs: 50,
      batchSize: "full",
      earlyStopping: { patience: 2 },
      progress: "none",
      callbacks: {
        onEpochEnd: (record) => {
          if (record.valLoss! < bestLoss) {
            bestLoss = record.valLoss!;
            bestW = Array.from(model.w.dataSync());
          }
        },
      },
    });
    if (history.stoppedEarly) {
      assert.equal(history.epochs.length, history.stoppedEarly.bestEpoch + 3);
      assert.equal(history.weightsEpoch, history.stoppedEarly.bestEpoch);
      assert.deepEqual(Array.from(model.w.dataSync()), bestW);
    } else {
      assert.fail(`expected early stopping; val losses ${history.epochs.map((e) => e.valLoss)}`);
    }
    tf.dispose(model.variables);
  });

  test("patience that runs out at the last planned epoch is not an early stop; one epoch before it is", async () => {
    // a loss that never improves: with patience 1, patience runs out after the second epoch (index 1)
    const run = async (epochs: number) => {
      const [v, x, y] = [tf.variable(tf.scalar(1)), tf.zeros([4, 1]), tf.zeros([4, 1])];
      const history = await fit(
        { variables: [v], loss: () => v.mul(0).add(1).asScalar() },
        { optimizer: sgd({ lr: 0.1 }), data: { x, y }, epochs, batchSize: 4, earlyStopping: { monitor: "loss", patience: 1 }, progress: "none" },
      );
      tf.dispose([v, x, y]);
      return history;
    };
    const atLast = await run(2);
    assert.equal(atLast.epochs.length, 2);
    assert.equal(atLast.stoppedEarly, undefined, "the run went its full budget of 2 epochs");
    assert.equal(atLast.weightsEpoch, 0, "the best weights are still put back");
    const before = await run(3);
    assert.equal(before.epochs.length, 2);
    assert.deepEqual(before.stoppedEarly, { epoch: 1, bestEpoch: 0, best: 1 });
  });

  test("with a restore margin, a last epoch within it of the best keeps its weights; one further behind does not", async () => {
    const run = async (restoreMargin: number) => {
      const model = linearModel(`margin-${restoreMargin}`);
      const valLosses: number[] = [];
      const history = await fit(model, {
        // a rate that lowers the loss for 10 updates, then one just past stability: it rises again, finite, from about epoch 20
        optimizer: sgd({ lr: piecewiseConstant({ boundaries: [10], values: [0.5, 2.0] }) }),
        data,
        validation: data,
        epochs: 30,
        batchSize: "full",
        earlyStopping: { patience: 30, restoreMargin },
        progress: "none",
        callbacks: { onEpochEnd: (record) => void valLosses.push(record.valLoss!) },
      });
      const weights = Array.from(model.w.dataSync());
      tf.dispose(model.variables);
      return { history, valLosses, weights };
    };
    const wide = await run(1e9);
    assert.equal(wide.history.weightsEpoch, 29, "the last epoch, within a huge margin of any best");
    const best = wide.valLosses.indexOf(Math.min(...wide.valLosses));
    assert.ok(best < 29 && wide.valLosses[29] > wide.valLosses[best], `the run must end worse than its best: val losses ${wide.valLosses}`);
    const tight = await run((wide.valLosses[29] - wide.valLosses[best]) / 2);
    assert.equal(tight.history.weightsEpoch, best, "the best epoch, beyond half the last epoch's shortfall");
    assert.notDeepEqual(tight.weights, wide.weights);
  });

  test("a run resumed from a checkpoint continues exactly as an uninterrupted one", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-ckpt-"));
    const file = path.join(dir, "run.json");
    const straight = linearModel("straight");
    const full = await fit(straight, { optimizer: adam({ lr: 0.05, accumulate: { steps: 3, lastWindow: "carry" } }), data, epochs: 4, batchSize: 8, seed: 3, progress: "none" });
    const first = linearModel("first");
    await fit(first, { optimizer: adam({ lr: 0.05, accumulate: { steps: 3, lastWindow: "carry" } }), data, epochs: 2, batchSize: 8, seed: 3, progress: "none", checkpoint: { path: file } });
    const second = linearModel("second");
    const resumed = await fit(second, { optimizer: adam({ lr: 0.05, accumulate: { steps: 3, lastWindow: "carry" } }), data, epochs: 4, batchSize: 8, seed: 3, progress: "none", resumeFrom: file });
    assert.deepEqual(losses(resumed), losses(full));
    assert.deepEqual(Array.from(second.w.dataSync()), Array.from(straight.w.dataSync()));
    fs.rmSync(dir, { recursive: true, force: true });
    tf.dispose([...straight.variables, ...first.variables, ...second.variables]);
  });

  test("resumed after its best epoch, early stopping stops and restores as an uninterrupted run does", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stepwise-ckpt-"));
    const file = path.join(dir, "run.json");
    // a rate that lowers the loss for 10 updates, then one just past stability: it rises again from about epoch 20
    const options = (epochs: number) => ({
      optimizer: sgd({ lr: piecewiseConstant({ boundaries: [10], values: [0.5, 2.0] }) }),
      data,
      validation: data,
      epochs,
      batchSize: "full" as const,
      earlyStopping: { patience: 5 },
      progress: "none" as const,
    });
    const straight = linearModel("stopping-straight");
    const full = await fit(straight, options(40));
    assert.ok(full.stoppedEarly, `the uninterrupted run must stop early: val losses ${full.epochs.map((e) => e.valLoss)}`);
    const { bestEpoch, epoch: stopEpoch } = full.stoppedEarly;
    assert.ok(stopEpoch - bestEpoch === 5 && bestEpoch > 0, `best ${bestEpoch}, stop ${stopEpoch}`);
    // interrupted after the best epoch, before the stop: the resumed run must know both the best and the wait
    const first = linearModel("stopping-first");
    const part = await fit(first, { ...options(bestEpoch + 2), checkpoint: { path: file } });
    assert.equal(part.stoppedEarly, undefined);
    const second = linearModel("stopping-second");
    const resumed = await fit(second, { ...options(40), resumeFrom: file });
    assert.deepEqual(resumed.stoppedEarly, full.stoppedEarly);
    assert.equal(resumed.weightsEpoch, bestEpoch);
    assert.deepEqual(resumed.epochs.map((e) => e.valLoss), full.epochs.map((e) => e.valLoss));
    assert.deepEqual(Array.from(second.w.dataSync()), Array.from(straight.w.dataSync()), "the best epoch's weights, restored");
    // a checkpoint whose early stopping watched another quantity is refused, by name
    const other = linearModel("stopping-other");
    await assert.rejects(fit(other, { ...options(40), earlyStopping: { monitor: "loss" }, resumeFrom: file }), /early stopping watched valLoss, this run's watches loss/);
    fs.rmSync(dir, { recursive: true, force: true });
    tf.dispose([...straight.variables, ...first.variables, ...second.variables, ...other.variables]);
  });

  test("an aborted signal interrupts the run at the next batch", async () => {
    const model = linearModel("interrupt");
    const controller = new AbortController();
    await assert.rejects(
      fit(model, { optimizer: sgd({ lr: 0.01 }), data, epochs: 10, batchSize: 1, progress: "none", signal: controller.signal, callbacks: { onStep: (r) => void (r.step === 5 && controller.abort()) } }),
      (error: unknown) => error instanceof InterruptedError && /after 5 updates/.test(error.message),
    );
    tf.dispose(model.variables);
  });

  test("bad options are named", async () => {
    const model = linearModel("bad");
    await assert.rejects(fit(model, { optimizer: sgd({ lr: 0.1 }), data, epochs: 0 }), /fit: epochs must be an integer >= 1, got 0/);
    await assert.rejects(fit(model, { optimizer: sgd({ lr: 0.1 }), data, epochs: 1, batchSize: 0 }), /fit: batchSize must be an integer >= 1 or "full", got 0/);
    await assert.rejects(fit(model, { optimizer: tf.train.adam() as never, data, epochs: 1 }), /fit: optimizer must be a stepwise optimizer/);
    await assert.rejects(fit(model, { optimizer: sgd({ lr: 0.1 }), data: { x: data.x, y: data.y.slice(0, 3) }, epochs: 1 }), /data.x has 64 rows but data.y has 3/);
    await assert.rejects(fit(tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 1 })] }), { optimizer: sgd({ lr: 0.1 }), data, epochs: 1 }), /a LayersModel needs a loss option/);
    tf.dispose(model.variables);
  });
});

describe("fit on a LayersModel", () => {
  test("classification with accuracy, validation metrics and per-step records", async () => {
    const n = 96;
    const raw = randomValues(n * 2, 5);
    const labels = Int32Array.from({ length: n }, (_, i) => (raw[2 * i] + raw[2 * i + 1] > 0 ? 1 : 0));
    const x = tf.tensor2d(raw, [n, 2]);
    const y = tf.tensor1d(labels, "int32");
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [2], units: 8, activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }), tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })],
    });
    const history = await fit(model, { optimizer: adam({ lr: 0.05 }), loss: "softmaxCrossEntropy", data: { x, y }, validation: { x, y }, epochs: 15, batchSize: 16, progress: "none" });
    const last = history.epochs.at(-1)!;
    assert.ok(last.accuracy! > 0.9 && last.valAccuracy! > 0.9, `accuracy ${last.accuracy}, val ${last.valAccuracy}`);
    assert.ok(history.steps.every((s) => s.tensorBytes > 0 && s.samplesPerSecond > 0 && s.lr === 0.05));
    model.dispose();
    tf.dispose([x, y]);
  });
});

describe("class indices as [N] or [N, 1] (the shape tfjs-layers' sparse losses take)", () => {
  test("sparseCategoricalCrossentropy: the loss computed by hand from the probabilities, and the accuracy", async () => {
    const probabilities = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1], [0.2, 0.2, 0.6]];
    const classes = [0, 2, 1, 1]; // the first two predicted right
    const byHand = -classes.reduce((sum, c, i) => sum + Math.log(probabilities[i][c]), 0) / classes.length;
    const x = tf.eye(4); // row i of the input picks row i of the kernel: softmax(log pᵢ) = pᵢ
    for (const y of [tf.tensor1d(classes, "int32"), tf.tensor2d(classes, [4, 1])]) {
      const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: "softmax", useBias: false })] });
      model.setWeights([tf.log(tf.tensor2d(probabilities))]);
      const history = await fit(model, { optimizer: sgd({ lr: 1e-6 }), loss: "sparseCategoricalCrossentropy", data: { x, y }, epochs: 1, batchSize: 4, shuffle: false, progress: "none" });
      const [epoch] = history.epochs;
      assert.ok(Math.abs(epoch.loss - byHand) <= 1e-6 * byHand, `labels [${y.shape}]: loss ${epoch.loss}, by hand ${byHand}`);
      assert.equal(epoch.accuracy, 0.5, `labels [${y.shape}]: accuracy`);
      model.dispose();
      y.dispose();
    }
    x.dispose();
  });
});

describe("fit on stepwise data sets", () => {
  test("two moons as a Dataset: an MLP separates them; the data set's shuffle is seeded", async () => {
    const moons = twoMoons({ n: 200, noise: 0.1, seed: 4 });
    const build = () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [2], units: 16, activation: "tanh", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
          tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
        ],
      });
    const [a, b] = [build(), build()];
    const run = (model: tf.LayersModel) => fit(model, { optimizer: adam({ lr: 0.05 }), loss: "softmaxCrossEntropy", data: moons, epochs: 30, batchSize: 20, seed: 9, progress: "none" });
    const [ha, hb] = [await run(a), await run(b)];
    assert.ok(ha.epochs.at(-1)!.accuracy! > 0.95, `accuracy ${ha.epochs.at(-1)!.accuracy}`);
    assert.deepEqual(losses(ha), losses(hb));
    a.dispose();
    b.dispose();
  });
});
