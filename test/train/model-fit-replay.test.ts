/**
 * model.fit with a stepwise optimizer replays its steps (src/train/model-fit-replay.ts). Over random models
 * (dense and convolutional, nested with a frozen backbone, functional with two inputs and two outputs),
 * tfjs-layers' named losses and metrics, L2 regularizers, class weights, a validation split, batch sizes (a
 * smaller last batch included) and optimizers with and without accumulation, on cpu and on wasm, a run through the replay must equal the
 * same run through tfjs-layers' own train function bit for bit (weights and every number of the history),
 * must have replayed, and must leak nothing. fitDataset, trainOnBatch and a second compile go the same way.
 * What may read JS state (a loss, metric or regularizer of the user's) keeps tfjs's function; what the
 * recording refuses (dropout, BatchNormalization) says why; a model with tfjs's optimizer is left alone.
 */
import { afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setUpWasm, seeded } from "../backend/helpers";
import type { Rng } from "../../src/data";
import { adam, sgd, type Optimizer } from "../../src/optim";
import { modelFitReplay, setModelFitReplay } from "../../src/train";

before(async () => {
  await setUpWasm();
});

afterEach(() => setModelFitReplay(true));

type Kind = "dense" | "conv" | "nested" | "two-by-two";

interface Config {
  kind: Kind;
  features: number;
  image: [number, number, number];
  hidden: number;
  activation: string;
  head: { loss: string; activation: string; oneHot: boolean };
  metrics: string[];
  l2: boolean;
  classes: number;
  samples: number;
  /** model.fit's validationSplit: the last rows are held out. */
  validationSplit: number;
  /** model.fit's classWeight (a sample weight per row, one more tensor in each batch), for one classification output. */
  classWeighted: boolean;
  batchSize: number;
  optimizer: "adam" | "sgd";
  accumulate: number;
  epochs: number;
}

const HEADS: Config["head"][] = [
  { loss: "sparseCategoricalCrossentropy", activation: "softmax", oneHot: false },
  { loss: "categoricalCrossentropy", activation: "softmax", oneHot: true },
  { loss: "meanSquaredError", activation: "linear", oneHot: true },
  { loss: "meanAbsoluteError", activation: "tanh", oneHot: true },
  { loss: "binaryCrossentropy", activation: "sigmoid", oneHot: true },
];

const pick = <T>(random: Rng, items: readonly T[]): T => items[random.int(items.length)];

function drawConfig(random: Rng): Config {
  const samples = 24 + random.int(60);
  const head = pick(random, HEADS);
  const kind = pick(random, ["dense", "conv", "nested", "two-by-two"] as const);
  const validationSplit = pick(random, [0, 0.25]);
  const trainingSamples = Math.floor(samples * (1 - validationSplit));
  return {
    kind,
    features: 1 + random.int(20),
    image: [6 + random.int(4), 6 + random.int(4), 1 + random.int(2)],
    hidden: 1 + random.int(24),
    activation: pick(random, ["relu", "linear", "tanh", "sigmoid", "elu"]),
    head,
    metrics: pick(random, [[], ["accuracy"], ["mse"], ["accuracy", "mae"]]),
    l2: random.int(3) === 0,
    classes: 2 + random.int(5),
    samples,
    validationSplit,
    classWeighted: kind !== "two-by-two" && head.loss.endsWith("ategoricalCrossentropy") && random.int(2) === 0,
    // at least two whole batches an epoch (each shape is recorded twice before it is replayed)
    batchSize: 3 + random.int(Math.floor(trainingSamples / 2) - 3),
    optimizer: pick(random, ["adam", "sgd"] as const),
    accumulate: random.int(3) === 0 ? 2 + random.int(2) : 1,
    epochs: 2 + random.int(2),
  };
}

function optimizerOf(config: Config): Optimizer {
  const accumulate = config.accumulate > 1 ? { accumulate: { steps: config.accumulate } } : {};
  return config.optimizer === "adam" ? adam({ lr: 0.01, ...accumulate }) : sgd({ lr: 0.05, momentum: 0.9, ...accumulate });
}

function buildModel(config: Config, seed: number): tf.LayersModel {
  let k = 0;
  const dense = (units: number, activation: string, input: Record<string, unknown> = {}) =>
    tf.layers.dense({
      ...input,
      units,
      activation: activation as "linear",
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 10 + k++ }),
      ...(config.l2 ? { kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) } : {}),
    });
  const head = (input: Record<string, unknown> = {}) => dense(config.classes, config.head.activation, input);
  switch (config.kind) {
    case "dense":
      return tf.sequential({ layers: [dense(config.hidden, config.activation, { inputShape: [config.features] }), head()] });
    case "conv":
      return tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: config.image, filters: 1 + (config.hidden % 5), kernelSize: 3, padding: "same", activation: config.activation as "relu", kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.flatten(),
          head(),
        ],
      });
    case "nested": {
      const backbone = tf.sequential({ layers: [dense(config.hidden, config.activation, { inputShape: [config.features] }), dense(config.hidden, config.activation)] });
      backbone.layers[0].trainable = false;
      return tf.sequential({ layers: [backbone, head()] });
    }
    case "two-by-two": {
      const a = tf.input({ shape: [config.features] });
      const b = tf.input({ shape: [3] });
      const joined = tf.layers.concatenate().apply([dense(config.hidden, config.activation).apply(a) as tf.SymbolicTensor, b]) as tf.SymbolicTensor;
      const first = head().apply(joined) as tf.SymbolicTensor;
      const second = dense(2, "linear").apply(joined) as tf.SymbolicTensor;
      return tf.model({ inputs: [a, b], outputs: [first, second] });
    }
  }
}

interface Data {
  x: tf.Tensor | tf.Tensor[];
  y: tf.Tensor | tf.Tensor[];
}

function dataOf(config: Config, random: Rng): Data {
  const n = config.samples;
  const normals = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => random.normal()), shape);
  const labels = Int32Array.from({ length: n }, () => random.int(config.classes));
  const y = tf.tidy(() => (config.head.oneHot ? tf.oneHot(tf.tensor1d(labels, "int32"), config.classes).toFloat() : tf.tensor2d(Float32Array.from(labels), [n, 1])));
  if (config.kind === "conv") return { x: normals([n, ...config.image]), y };
  if (config.kind !== "two-by-two") return { x: normals([n, config.features]), y };
  return { x: [normals([n, config.features]), normals([n, 3])], y: [y, normals([n, 2])] };
}

function compile(model: tf.LayersModel, config: Config, optimizer: Optimizer): void {
  const loss = config.kind === "two-by-two" ? [config.head.loss, "meanSquaredError"] : config.head.loss;
  model.compile({ optimizer, loss, metrics: config.metrics });
}

function bitsOf(tensors: tf.Tensor[]): number[][] {
  return tensors.map((t) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer)));
}

const leakCheck = () => {
  const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
  return (where: string) => {
    assert.equal(tf.memory().numTensors, before.tensors, `${where}: tensors leaked`);
    assert.equal(tf.engine().backend.numDataIds(), before.buffers, `${where}: backend buffers leaked`);
  };
};

/** Trains a new model of `config` through `model.fit`, with the replay on or off; the weights' bits, the history and the report. */
async function train(config: Config, data: Data, seed: number, replay: boolean) {
  const model = buildModel(config, seed);
  const optimizer = optimizerOf(config);
  setModelFitReplay(replay);
  compile(model, config, optimizer);
  const history = await model.fit(data.x, data.y, {
    batchSize: config.batchSize,
    epochs: config.epochs,
    validationSplit: config.validationSplit,
    classWeight: config.classWeighted ? Object.fromEntries(Array.from({ length: config.classes }, (_, c) => [c, 0.5 + c / 2])) : undefined,
    shuffle: false,
    verbose: 0,
    callbacks: [optimizer.fitCallback()],
  });
  // the history names the outputs' layers, whose names count the layers made so far
  const named = Object.fromEntries(Object.entries(history.history).map(([key, values]) => [key.replace(/\d+/g, "#"), values]));
  const result = { weights: bitsOf(model.getWeights()), history: named, report: modelFitReplay(model) };
  model.dispose();
  optimizer.dispose();
  return result;
}

/** fitDataset, then trainOnBatch, then a second compile with another loss and model.fit, with the replay on or off. */
async function fitDatasetThenBatchesThenRecompile(x: tf.Tensor, y: tf.Tensor, replay: boolean) {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  // a functional model: compiled again, it is the same object (a Sequential compiles a new inner model)
  const input = tf.input({ shape: [5] });
  const hidden = tf.layers.dense({ units: 7, activation: "relu", kernelInitializer: init(3) }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init(4) }).apply(hidden) as tf.SymbolicTensor });
  const optimizer = adam({ lr: 0.02 });
  setModelFitReplay(replay);
  model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const [rows, targets] = [tf.unstack(x), tf.unstack(y)];
  const dataset = tf.data.zip({ xs: tf.data.array(rows), ys: tf.data.array(targets) }).batch(10);
  const fromDataset = await model.fitDataset(dataset as tf.data.Dataset<tf.TensorContainer>, { epochs: 3, verbose: 0 });
  tf.dispose([...rows, ...targets]);
  const onBatch: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const batch = [x.slice(i * 12, 12), y.slice(i * 12, 12)];
    onBatch.push((await model.trainOnBatch(batch[0], batch[1])) as number[]);
    tf.dispose(batch);
  }
  const afterFirst = modelFitReplay(model);
  // a new compile is a new step, recorded anew
  model.compile({ optimizer, loss: "meanSquaredError" });
  const second = await model.fit(x, y, { batchSize: 16, epochs: 3, shuffle: false, verbose: 0 });
  const result = { weights: bitsOf(model.getWeights()), dataset: fromDataset.history, onBatch, second: second.history, afterFirst, afterSecond: modelFitReplay(model) };
  model.dispose();
  optimizer.dispose();
  return result;
}

for (const backend of ["cpu", "wasm"]) {
  describe(`model.fit's replayed step on ${backend}`, () => {
    test("random models, losses, metrics, regularizers, batch sizes and optimizers: the replayed run is tfjs-layers', bit for bit", async () => {
      await tf.setBackend(backend);
      const random = seeded(backend === "cpu" ? 51 : 52);
      const kinds = new Set<Kind>();
      let [classWeighted, validated] = [0, 0];
      for (let c = 0; c < 14; c++) {
        const config = drawConfig(random);
        kinds.add(config.kind);
        classWeighted += Number(config.classWeighted);
        validated += Number(config.validationSplit > 0);
        const data = dataOf(config, random);
        const where = `config ${c}: ${JSON.stringify(config)}`;
        const leaks = leakCheck();
        const own = await train(config, data, c, false);
        const replayed = await train(config, data, c, true);
        assert.match(own.report.refused ?? "", /turned off/, where);
        assert.equal(replayed.report.refused, undefined, where);
        assert.ok(replayed.report.microBatches > 0, `${where}: nothing was replayed`);
        assert.deepEqual(replayed.weights, own.weights, `${where}: weights`);
        assert.deepEqual(replayed.history, own.history, `${where}: history`);
        leaks(where);
        tf.dispose([data.x, data.y].flat());
      }
      assert.equal(kinds.size, 4, "every kind of model was drawn");
      assert.ok(classWeighted > 0 && validated > 0, `class weights drawn ${classWeighted} times, a validation split ${validated} times`);
    });

    test("fitDataset, trainOnBatch and a second compile with another loss replay tfjs-layers' steps", async () => {
      await tf.setBackend(backend);
      const random = seeded(9);
      const x = tf.tensor2d(Float32Array.from({ length: 48 * 5 }, () => random.normal()), [48, 5]);
      const labels = Int32Array.from({ length: 48 }, () => random.int(3));
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), 3).toFloat());
      const leaks = leakCheck();
      const own = await fitDatasetThenBatchesThenRecompile(x, y, false);
      const replayed = await fitDatasetThenBatchesThenRecompile(x, y, true);
      assert.ok(replayed.afterFirst.microBatches > 0 && replayed.afterSecond.microBatches > 0, JSON.stringify(replayed));
      // the second compile starts a new recording: 3 epochs of 3 batches, 2 of them recorded
      assert.equal(replayed.afterSecond.microBatches, 7);
      for (const report of [own.afterFirst, own.afterSecond]) assert.match(report.refused ?? "", /turned off/);
      assert.deepEqual({ ...replayed, afterFirst: undefined, afterSecond: undefined }, { ...own, afterFirst: undefined, afterSecond: undefined });
      leaks("fitDataset, trainOnBatch, compile");
      tf.dispose([x, y]);
    });

    test("steps that may read JS state keep tfjs's train function, steps the recording refuses say why, and both still train", async () => {
      await tf.setBackend(backend);
      const random = seeded(11);
      const x = tf.tensor2d(Float32Array.from({ length: 48 * 6 }, () => random.normal()), [48, 6]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from({ length: 48 }, () => random.int(3)), "int32"), 3).toFloat());
      // tfjs-layers exports no Regularizer class: a user's regularizer extends its L1L2
      const L1L2 = tf.regularizers.l2().constructor as new () => { apply(weights: tf.Tensor): tf.Scalar };
      class Halving extends L1L2 {
        static className = "Halving";
        override apply(weights: tf.Tensor): tf.Scalar {
          return tf.tidy(() => weights.square().sum().mul(0.5));
        }
      }
      const dense = (options: Record<string, unknown> = {}) => tf.layers.dense({ inputShape: [6], units: 3, activation: "softmax", ...options });
      const cases: Array<{ what: string; layers: () => tf.layers.Layer[]; loss?: string | ((a: tf.Tensor, b: tf.Tensor) => tf.Tensor); metrics?: Array<string | ((a: tf.Tensor, b: tf.Tensor) => tf.Tensor)>; refused: RegExp }> = [
        { what: "a dropout mask drawn at each step", layers: () => [tf.layers.dense({ inputShape: [6], units: 8 }), tf.layers.dropout({ rate: 0.5 }), tf.layers.dense({ units: 3, activation: "softmax" })], refused: /two steps ran different programs/ },
        { what: "BatchNormalization's moving statistics", layers: () => [tf.layers.dense({ inputShape: [6], units: 8 }), tf.layers.batchNormalization(), tf.layers.dense({ units: 3, activation: "softmax" })], refused: /variable .* was written during the step/ },
        { what: "a loss function", layers: () => [dense()], loss: (a, b) => tf.losses.meanSquaredError(a, b), refused: /a loss is a function/ },
        { what: "a metric function", layers: () => [dense()], metrics: ["accuracy", (a, b) => tf.metrics.precision(a, b)], refused: /a metric is a function/ },
        { what: "a regularizer of the user's", layers: () => [dense({ kernelRegularizer: new Halving() })], refused: /kernelRegularizer is a Halving, not tfjs-layers' L1L2/ },
      ];
      for (const c of cases) {
        const leaks = leakCheck();
        const model = tf.sequential({ layers: c.layers() });
        const optimizer = adam({ lr: 0.01 });
        model.compile({ optimizer, loss: c.loss ?? "categoricalCrossentropy", metrics: c.metrics });
        const history = await model.fit(x, y, { batchSize: 16, epochs: 3, shuffle: false, verbose: 0 });
        const report = modelFitReplay(model);
        assert.equal(report.microBatches, 0, c.what);
        assert.match(report.refused ?? "", c.refused, c.what);
        assert.equal(optimizer.iterations, 9, `${c.what}: every batch was a step`);
        assert.ok((history.history.loss as number[]).every(Number.isFinite), `${c.what}: every epoch had a loss`);
        model.dispose();
        optimizer.dispose();
        leaks(c.what);
      }

      // tfjs's own optimizer: the train function is tfjs-layers' alone
      const model = tf.sequential({ layers: [dense()] });
      const optimizer = tf.train.adam(0.01);
      model.compile({ optimizer, loss: "categoricalCrossentropy" });
      await model.fit(x, y, { batchSize: 16, epochs: 3, verbose: 0 });
      assert.match(modelFitReplay(model).refused ?? "", /has not trained this model with a stepwise optimizer/);
      model.dispose();
      optimizer.dispose();
      tf.dispose([x, y]);
    });
  });
}

test("setModelFitReplay refuses anything but a boolean, by name", () => {
  assert.throws(() => setModelFitReplay("no" as unknown as boolean), /setModelFitReplay: expected true or false, got no/);
});
