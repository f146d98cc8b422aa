import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendThroughput, configurationLabel, defaultConfigurations, trainingThroughput } from "../../src/experiments";
import { BACKEND_ORDER } from "../../src/backend";

const tiny = () =>
  tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [6], units: 4, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });

describe("training throughput", () => {
  test("times every batch size on the active backend and leaves no tensors behind", async () => {
    await tf.setBackend("cpu");
    const model = tiny();
    const before = tf.memory().numTensors;
    const result = await trainingThroughput(model, { batchSizes: [1, 8], repeats: 3, minRoundMs: 5, warmupSteps: 1 });
    assert.deepEqual(result.points.map((p) => p.batchSize), [1, 8]);
    for (const p of result.points) {
      assert.equal(p.rounds.length, 3);
      assert.ok(p.samplesPerSecond > 0 && p.steps >= 1, JSON.stringify(p));
      assert.ok(p.samplesPerSecond >= Math.min(...p.rounds) && p.samplesPerSecond <= Math.max(...p.rounds));
    }
    assert.deepEqual(result.notTimed, []);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });

  test("maxStepMs leaves out the first batch size whose first step is too long, and all larger ones", async () => {
    await tf.setBackend("cpu");
    const model = tiny();
    const result = await trainingThroughput(model, { batchSizes: [1, 200_000, 2], repeats: 1, minRoundMs: 1, warmupMs: 1, maxStepMs: 1 });
    assert.deepEqual(result.points.map((p) => p.batchSize), [1]);
    assert.deepEqual(result.notTimed, [200_000, 2]);
    model.dispose();
  });

  test("options are checked by name", async () => {
    const model = tiny();
    await assert.rejects(trainingThroughput(model, { batchSizes: [] }), /trainingThroughput: batchSizes/);
    await assert.rejects(trainingThroughput(model, { batchSizes: [1], repeats: 0 }), /trainingThroughput: repeats/);
    await assert.rejects(backendThroughput({ models: {}, batchSizes: [1] }), /backendThroughput: models/);
    await assert.rejects(
      backendThroughput({ models: { tiny: model }, batchSizes: [1], configurations: [{ backend: "cpu", wasmThreads: 2 }] }),
      /wasmThreads must be an integer in \[1, 8\] and only for wasm/,
    );
    model.dispose();
  });

  test("default configurations: every backend, wasm single-threaded first; labels name the threads", () => {
    const configurations = defaultConfigurations();
    assert.deepEqual([...new Set(configurations.map((c) => c.backend))], [...BACKEND_ORDER]);
    const wasm = configurations.filter((c) => c.backend === "wasm");
    assert.equal(wasm[0].wasmThreads, 1);
    assert.equal(configurationLabel({ backend: "wasm", wasmThreads: 1 }), "wasm, 1 thread");
    assert.equal(configurationLabel({ backend: "wasm", wasmThreads: 4 }), "wasm, 4 threads");
  });

  test("each configuration runs in a child process: wasm at the thread count asked, and an absent backend says why", async () => {
    const model = tiny();
    const results = await backendThroughput({
      models: { tiny: model },
      batchSizes: [2],
      repeats: 1,
      minRoundMs: 1,
      configurations: [{ backend: "wasm", wasmThreads: 1 }, { backend: "cpu" }],
    });
    assert.deepEqual(results.map((r) => r.label), ["wasm, 1 thread", "cpu"]);
    assert.equal(results[0].backend?.name, "wasm");
    assert.equal(results[0].backend?.threads, 1);
    assert.equal(results[1].backend?.name, "cpu");
    for (const r of results) assert.ok(r.models.tiny.points[0].samplesPerSecond > 0, JSON.stringify(r));
    // the native backend is an optional dependency: where it is missing, the reason and the install command come back
    const [native] = await backendThroughput({ models: { tiny: model }, batchSizes: [2], repeats: 1, minRoundMs: 1, configurations: [{ backend: "tensorflow" }] });
    if (native.absent !== undefined) assert.match(native.absent, /tensorflow.*npm install @tensorflow\/tfjs-node/s);
    else assert.equal(native.backend?.name, "tensorflow");
    model.dispose();
  });
});
