/**
 * fit's replayed step (src/train/step-replay.ts) against the engine's: over random models of convolutions
 * (with and without max pools) and dense layers, activations, named losses, batch sizes (a last batch of another shape included) and optimizers with and
 * without accumulation, on cpu and on wasm, the run with replay must equal the run without it bit for bit
 * (weights, losses, accuracies, gradient norms) and must have replayed; steps that cannot be replayed (a
 * dropout mask, BatchNormalization's moving statistics, a loss function) must run
 * through the engine, say why, and still train (and StepReplay itself refuses steps that read values, make a
 * result in JS, write or share a variable's data, or change between steps); nothing may leak.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setUpWasm, seeded } from "../backend/helpers";
import type { Rng } from "../../src/data";
import { adam, sgd, type Optimizer } from "../../src/optim";
import { fit, type Batch, type History, type LossName } from "../../src/train";
import { StepReplay, type StepResult } from "../../src/train/step-replay";
import { replayRefusal } from "../../src/train/target";
import { hostBlas } from "../../src/backend/blas";

before(async () => {
  await setUpWasm();
});

interface Config {
  /** Convolutions before the dense layers (an image input), each maybe followed by a 2 × 2 max pool. */
  convolutions: Array<{ filters: number; kernelSize: number; padding: "same" | "valid"; activation: "relu" | "linear"; pool: boolean }>;
  image: [number, number, number];
  hidden: number[];
  /** A LayerNormalization after the hidden layers. */
  layerNorm: boolean;
  /** The layers before the head as a nested model whose first layer is frozen (as in transfer learning). */
  nestedFrozen: boolean;
  activation: string;
  head: { loss: LossName; activation: string; oneHot: boolean };
  useBias: boolean;
  inputs: number;
  classes: number;
  samples: number;
  batchSize: number;
  optimizer: () => Optimizer;
  epochs: number;
}

const HEADS: Config["head"][] = [
  { loss: "softmaxCrossEntropy", activation: "linear", oneHot: false },
  { loss: "sparseCategoricalCrossentropy", activation: "softmax", oneHot: false },
  { loss: "categoricalCrossentropy", activation: "softmax", oneHot: true },
  { loss: "meanSquaredError", activation: "linear", oneHot: true },
  { loss: "binaryCrossentropy", activation: "sigmoid", oneHot: true },
];

function pick<T>(random: Rng, items: readonly T[]): T {
  return items[random.int(items.length)];
}

function drawConfig(random: Rng): Config {
  const samples = 30 + random.int(90);
  const accumulate = random.int(3) === 0 ? 2 + random.int(3) : 1;
  const optimizers: Array<() => Optimizer> = [
    () => adam({ lr: 0.01, ...(accumulate > 1 ? { accumulate: { steps: accumulate } } : {}) }),
    () => sgd({ lr: 0.05, momentum: 0.9, ...(accumulate > 1 ? { accumulate: { steps: accumulate } } : {}) }),
  ];
  const convolutions = random.int(2) === 0 ? [] : Array.from({ length: 1 + random.int(2) }, () => ({
    filters: 1 + random.int(6),
    kernelSize: 1 + random.int(3),
    padding: pick(random, ["same", "valid"] as const),
    activation: pick(random, ["relu", "linear"] as const),
    pool: random.int(3) !== 0,
  }));
  return {
    convolutions,
    image: [8 + random.int(5), 8 + random.int(5), 1 + random.int(3)],
    hidden: Array.from({ length: random.int(3) }, () => 1 + random.int(40)),
    activation: pick(random, ["relu", "linear", "tanh", "sigmoid", "elu"]),
    head: pick(random, HEADS),
    useBias: random.int(4) !== 0,
    layerNorm: random.int(4) === 0,
    nestedFrozen: random.int(4) === 0,
    inputs: 1 + random.int(30),
    classes: 2 + random.int(6),
    samples,
    // at least two whole batches an epoch (each shape is recorded twice before it is replayed), and more often
    // than not a smaller last one
    batchSize: 3 + random.int(Math.min(30, Math.floor(samples / 2) - 3)),
    optimizer: pick(random, optimizers),
    epochs: 2 + random.int(2),
  };
}

function buildModel(config: Config, seed: number): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  const layers: tf.layers.Layer[] = [];
  // the first layer names the input's shape
  const first = () => (layers.length > 0 ? {} : config.convolutions.length > 0 ? { inputShape: config.image } : { inputShape: [config.inputs] });
  config.convolutions.forEach((c, k) => {
    layers.push(tf.layers.conv2d({ ...first(), filters: c.filters, kernelSize: c.kernelSize, padding: c.padding, activation: c.activation, useBias: config.useBias, kernelInitializer: init(5 + k) }));
    if (c.pool) layers.push(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  if (config.convolutions.length > 0) layers.push(tf.layers.flatten());
  config.hidden.forEach((units, k) =>
    layers.push(tf.layers.dense({ ...first(), units, activation: config.activation as "relu", useBias: config.useBias, kernelInitializer: init(k) })),
  );
  if (config.layerNorm && layers.length > 0) layers.push(tf.layers.layerNormalization());
  const head = (input: Record<string, unknown>) =>
    tf.layers.dense({ ...input, units: config.classes, activation: config.head.activation as "linear", useBias: config.useBias, kernelInitializer: init(9) });
  if (!config.nestedFrozen || layers.length === 0) return tf.sequential({ layers: [...layers, head(first())] });
  layers[0].trainable = false;
  const backbone = tf.sequential({ layers });
  return tf.sequential({ layers: [backbone, head({})] });
}

function dataOf(config: Config, random: Rng): { x: tf.Tensor; y: tf.Tensor } {
  const shape = config.convolutions.length > 0 ? [config.samples, ...config.image] : [config.samples, config.inputs];
  const x = tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => random.normal()), shape);
  const labels = tf.tensor1d(Int32Array.from({ length: config.samples }, () => random.int(config.classes)), "int32");
  if (!config.head.oneHot) return { x, y: labels };
  const y = tf.tidy(() => tf.oneHot(labels, config.classes).toFloat());
  labels.dispose();
  return { x, y };
}

function bitsOf(tensors: tf.Tensor[]): number[][] {
  return tensors.map((t) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer)));
}

/** What a run must reproduce: every weight's bits and the history's numbers (not its timings). */
function outcome(model: tf.LayersModel, history: History) {
  return {
    weights: bitsOf(model.getWeights()),
    epochs: history.epochs.map(({ loss, accuracy }) => ({ loss, accuracy })),
    steps: history.steps.map(({ step, loss, gradientNorm, items }) => ({ step, loss, gradientNorm, items })),
  };
}

async function train(config: Config, data: { x: tf.Tensor; y: tf.Tensor }, seed: number, replay: boolean) {
  const model = buildModel(config, seed);
  const optimizer = config.optimizer();
  const history = await fit(model, { optimizer, loss: config.head.loss, data, batchSize: config.batchSize, epochs: config.epochs, seed, progress: "none", replay });
  const result = { ...outcome(model, history), replay: history.replay };
  model.dispose();
  optimizer.dispose();
  return result;
}

for (const backend of ["cpu", "wasm"]) {
  describe(`fit's replayed step on ${backend}`, () => {
    test("random dense and convolutional models, losses, batch sizes and optimizers: the replayed run is the engine's, bit for bit", async () => {
      await tf.setBackend(backend);
      const random = seeded(backend === "cpu" ? 41 : 42);
      for (let c = 0; c < 16; c++) {
        const config = drawConfig(random);
        const data = dataOf(config, random);
        const where = `config ${c}: ${JSON.stringify({ ...config, optimizer: undefined })}`;
        const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
        const engine = await train(config, data, c, false);
        const replayed = await train(config, data, c, true);
        assert.equal(replayed.replay?.refused, undefined, where);
        assert.ok((replayed.replay?.microBatches ?? 0) > 0, `${where}: nothing was replayed`);
        assert.deepEqual(replayed.weights, engine.weights, `${where}: weights`);
        assert.deepEqual(replayed.epochs, engine.epochs, `${where}: epochs`);
        assert.deepEqual(replayed.steps, engine.steps, `${where}: steps`);
        assert.equal(tf.memory().numTensors, before.tensors, `${where}: tensors leaked`);
        assert.equal(tf.engine().backend.numDataIds(), before.buffers, `${where}: backend buffers leaked`);
        tf.dispose([data.x, data.y]);
      }
    });

    if (backend === "wasm") {
      test("a softmax head's bias, softmax gradient, bias gradient, loss and correct count run fused in a replay, and the run is still the engine's", async () => {
        await tf.setBackend(backend);
        const random = seeded(43);
        const config: Config = {
          ...drawConfig(random),
          convolutions: [],
          hidden: [256],
          activation: "relu",
          head: HEADS[1], // sparseCategoricalCrossentropy of a softmax
          useBias: true,
          layerNorm: false,
          nestedFrozen: false,
          inputs: 64,
          classes: 10,
          samples: 96,
          batchSize: 16,
          optimizer: () => adam({ lr: 0.01 }), // one fused kernel per variable: no Add of its own
          epochs: 2,
        };
        const data = dataOf(config, random);
        const engine = await train(config, data, 1, false);
        const counts = new Map<string, number>();
        const configs = tf.getKernelsForBackend("wasm");
        const originals = configs.map((kernel) => kernel.kernelFunc);
        configs.forEach((kernel, i) => {
          kernel.kernelFunc = (args) => {
            counts.set(kernel.kernelName, (counts.get(kernel.kernelName) ?? 0) + 1);
            return originals[i](args);
          };
        });
        let replayed: Awaited<ReturnType<typeof train>>;
        try {
          replayed = await train(config, data, 1, true);
        } finally {
          configs.forEach((kernel, i) => (kernel.kernelFunc = originals[i]));
        }
        assert.deepEqual(replayed.weights, engine.weights, "weights");
        assert.deepEqual(replayed.steps, engine.steps, "steps");
        // 12 steps: the engine runs the first two (each recorded) and the replay the other ten
        const replays = replayed.replay?.microBatches ?? 0;
        assert.equal(replays, 10);
        const fused = ["StepwiseCrossEntropyOfProbabilitiesSoftmaxGrad", "StepwiseProbabilityPickCount", "StepwiseNegMean"];
        for (const name of fused) assert.equal(counts.get(name), replays, `${name} in each replayed step`);
        // what the fused kernels stand for runs only in the recorded steps (the head's Add and the bias gradient's Sum once each)
        for (const name of ["Add", "Sum", "StepwiseSoftmaxGrad", "StepwiseCrossEntropyOfProbabilitiesGrad", "StepwiseProbabilityPick", "StepwiseCountCorrect", "Neg", "Mean"]) {
          assert.equal(counts.get(name), 2, `${name}: only in the 2 recorded steps`);
        }
        assert.equal(counts.get("StepwiseSoftmaxGradColumnSums") ?? 0, 0, "the softmax's gradient takes the cross-entropy's in the same pass");
        if (hostBlas()) assert.equal(counts.get("Transpose") ?? 0, 0, "dy·Wᵀ reads W where it lies on the host BLAS");
        tf.dispose([data.x, data.y]);
      });
    }

    test("steps the replay cannot reproduce run through the engine and say why", async () => {
      await tf.setBackend(backend);
      const random = seeded(7);
      const x = tf.tensor2d(Float32Array.from({ length: 64 * 6 }, () => random.normal()), [64, 6]);
      const y = tf.tensor1d(Int32Array.from({ length: 64 }, () => random.int(3)), "int32");
      const cases: Array<{ what: string; layers: () => tf.layers.Layer[]; loss?: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar; refused: RegExp }> = [
        {
          what: "a dropout mask drawn at each step",
          layers: () => [tf.layers.dense({ inputShape: [6], units: 8, activation: "relu" }), tf.layers.dropout({ rate: 0.5 }), tf.layers.dense({ units: 3 })],
          refused: /two steps ran different programs/,
        },
        {
          what: "BatchNormalization's moving statistics",
          layers: () => [tf.layers.dense({ inputShape: [6], units: 8 }), tf.layers.batchNormalization(), tf.layers.dense({ units: 3 })],
          refused: /variable .* was written during the step/,
        },
        {
          what: "a loss function",
          layers: () => [tf.layers.dense({ inputShape: [6], units: 3 })],
          loss: (yTrue, yPred) => tf.losses.softmaxCrossEntropy(tf.oneHot(yTrue.toInt(), 3), yPred) as tf.Scalar,
          refused: /the loss is a function/,
        },
      ];
      for (const c of cases) {
        const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
        const model = tf.sequential({ layers: c.layers() });
        const optimizer = adam({ lr: 0.01 });
        const history = await fit(model, { optimizer, loss: c.loss ?? "softmaxCrossEntropy", data: { x, y }, batchSize: 16, epochs: 3, progress: "none" });
        assert.equal(history.replay?.microBatches, 0, c.what);
        assert.match(history.replay?.refused ?? "", c.refused, c.what);
        assert.equal(history.steps.length, 12, `${c.what}: every batch was a step`);
        assert.ok(history.steps.every((s) => Number.isFinite(s.loss) && s.gradientNorm > 0), `${c.what}: every step had a loss and a gradient`);
        model.dispose();
        optimizer.dispose();
        assert.equal(tf.memory().numTensors, before.tensors, `${c.what}: tensors leaked`);
        assert.equal(tf.engine().backend.numDataIds(), before.buffers, `${c.what}: backend buffers leaked`);
      }
      tf.dispose([x, y]);
    });
  });
}

describe("StepReplay, given steps that escape their kernels", () => {
  /** Runs `step` over four batches of the same shape; returns the report and checks nothing leaked. */
  const runFour = (step: (batch: Batch, k: number) => StepResult) => {
    const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
    let k = 0;
    const replay = new StepReplay<Batch>((batch) => step(batch, k), (batch) => [batch.x, batch.y]);
    for (; k < 4; k++) {
      const batch = { x: tf.fill([4, 3], k + 1), y: tf.zeros([4]), size: 4 };
      const result = replay.run(batch);
      tf.dispose([result.value, ...result.metrics, ...Object.values(result.grads), batch.x, batch.y]);
    }
    const report = replay.report();
    replay.dispose();
    assert.equal(tf.memory().numTensors, before.tensors, "tensors leaked");
    assert.equal(tf.engine().backend.numDataIds(), before.buffers, `backend buffers leaked (${JSON.stringify(report)})`);
    return report;
  };

  for (const backend of ["cpu", "wasm"]) {
    test(`on ${backend}: a plain step is replayed; a read, a value made in JS, a variable written or shared, or a value that changes is refused`, async () => {
      await tf.setBackend(backend);
      // made in a tidy, so that the variable holds its data alone
      const w = tf.tidy(() => tf.variable(tf.ones([3, 2]), true, `replay-w-${backend}`));
      const gradientsOf = (loss: (batch: Batch) => tf.Scalar) => (batch: Batch): StepResult => {
        const { value, grads } = tf.variableGrads(() => loss(batch), [w]);
        return { value, metrics: [], grads };
      };
      const plain = gradientsOf((batch) => batch.x.matMul(w).square().mean());
      assert.deepEqual(runFour(plain), { microBatches: 2 });

      const reads = gradientsOf((batch) => (batch.x.sum().dataSync()[0] > 0 ? batch.x.matMul(w).mean() : batch.x.matMul(w).neg().mean()));
      assert.match(runFour(reads).refused ?? "", /values were read during the step/);

      const madeInJs = (batch: Batch): StepResult => ({ ...plain(batch), metrics: [tf.scalar(1)] });
      assert.match(runFour(madeInJs).refused ?? "", /not made by a kernel/);

      const writes = gradientsOf((batch) => {
        w.assign(w.add(0));
        return batch.x.matMul(w).mean();
      });
      assert.match(runFour(writes).refused ?? "", /variable replay-w-.* was written during the step/);

      const changing = (batch: Batch, k: number) => gradientsOf((b) => b.x.matMul(w).mul(tf.scalar(k)).mean())(batch);
      assert.match(runFour(changing).refused ?? "", /two steps ran different programs \(kernel \d+, Multiply: input b\)/);

      const twin = tf.tidy(() => tf.variable(tf.ones([3, 2]), true, `replay-twin-${backend}`));
      twin.assign(w); // the two share w's data until one of them is updated
      assert.match(runFour(plain).refused ?? "", /variable replay-w-.* and variable replay-twin-.* share their data|variable replay-twin-.* and variable replay-w-.* share their data/);
      tf.dispose([w, twin]);
    });

    test(`on ${backend}: a replay skips the Identity kernels that only rename their input (the tape's saves), but one whose output is a result`, async () => {
      await tf.setBackend(backend);
      const identity = tf.getKernel("Identity", backend)!;
      const original = identity.kernelFunc;
      let calls = 0;
      identity.kernelFunc = (args) => {
        calls++;
        return original(args);
      };
      try {
        const w = tf.tidy(() => tf.variable(tf.randomNormal([3, 2], 0, 1, "float32", 5), true, `elide-w-${backend}`));
        // the tape saves the product's inputs and output through Identity; the metric is an Identity of the batch
        const step = (batch: Batch): StepResult => {
          const { value, grads } = tf.variableGrads(() => batch.x.matMul(w).relu().square().mean(), [w]);
          return { value, metrics: [batch.x.clone()], grads };
        };
        const replay = new StepReplay<Batch>(step, (batch) => [batch.x, batch.y]);
        const perStep: number[] = [];
        const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
        for (let k = 0; k < 4; k++) {
          const batch = { x: tf.randomNormal([4, 3], 0, 1, "float32", 10 + k), y: tf.zeros([4]), size: 4 };
          calls = 0;
          const result = replay.run(batch);
          perStep.push(calls);
          // the engine's step on the same batch gives the same results
          const engine = step(batch);
          const references = [engine.value, ...engine.metrics, engine.grads[w.name]];
          [result.value, ...result.metrics, result.grads[w.name]].forEach((t, i) => {
            assert.deepEqual(Array.from(t.dataSync()), Array.from(references[i].dataSync()), `step ${k}, result ${i}`);
          });
          tf.dispose([result.value, ...result.metrics, ...Object.values(result.grads), engine.value, ...engine.metrics, ...Object.values(engine.grads), batch.x, batch.y]);
        }
        assert.deepEqual(replay.report(), { microBatches: 2 });
        replay.dispose();
        assert.ok(perStep[0] >= 3, `the engine's step saves through Identity (${perStep[0]} calls)`);
        assert.deepEqual(perStep.slice(2), [1, 1], "a replayed step runs only the Identity whose output is its metric");
        assert.equal(tf.memory().numTensors, before.tensors, "tensors leaked");
        assert.equal(tf.engine().backend.numDataIds(), before.buffers, "backend buffers leaked");
        w.dispose();
      } finally {
        identity.kernelFunc = original;
      }
    });
  }
});

test("replayRefusal: tfjs-layers' own models (nested too) and layers may replay; another model or layer class, a loss function or variables may not", () => {
  const dense = () => tf.layers.dense({ inputShape: [2], units: 1 });
  const sequential = tf.sequential({ layers: [dense()] });
  const functional = tf.model({ inputs: sequential.inputs, outputs: sequential.outputs });
  const nested = tf.sequential({ layers: [tf.sequential({ layers: [dense()] }), tf.layers.dense({ units: 3 })] });
  for (const model of [sequential, functional, nested]) assert.equal(replayRefusal(model, "meanSquaredError"), undefined, model.getClassName());
  class Subclassed extends tf.Sequential {
    static override className = "Subclassed";
  }
  const subclassed = new Subclassed({ layers: [dense()] });
  assert.match(replayRefusal(subclassed, "meanSquaredError") ?? "", /is a Subclassed, not one of tfjs-layers' layers known to replay/);
  assert.match(replayRefusal(tf.sequential({ layers: [subclassed] }), "meanSquaredError") ?? "", /is a Subclassed/);
  class Custom extends tf.layers.Layer {
    static className = "Custom";
    override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return Array.isArray(inputs) ? inputs[0] : inputs;
    }
  }
  assert.match(replayRefusal(tf.sequential({ layers: [dense(), new Custom({})] }), "meanSquaredError") ?? "", /is a Custom/);
  assert.match(replayRefusal(sequential, (y, p) => tf.losses.meanSquaredError(y, p) as tf.Scalar) ?? "", /the loss is a function/);
  const w = tf.variable(tf.zeros([1]));
  assert.match(replayRefusal({ variables: [w], loss: () => w.sum() as tf.Scalar }, undefined) ?? "", /a loss of variables/);
  [sequential, nested, subclassed, w].forEach((t) => t.dispose());
});

test("fit refuses a replay option that is not a boolean, by name", async () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
  const data = { x: tf.zeros([4, 2]), y: tf.zeros([4, 1]) };
  await assert.rejects(
    fit(model, { optimizer: sgd({ lr: 0.1 }), loss: "meanSquaredError", data, epochs: 1, progress: "none", replay: "yes" as unknown as boolean }),
    /replay/,
  );
  model.dispose();
  tf.dispose([data.x, data.y]);
});
