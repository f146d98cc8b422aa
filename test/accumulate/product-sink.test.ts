/**
 * Gradients taken as products into the accumulation windows (src/accumulate's GradientSink, wasm-matmul.ts
 * accumulateProduct): on wasm with a host BLAS, a Dense layer's weight gradient xᵀ·dy is computed straight
 * into its window's sum. The witnesses are independent of that path: BatchMatMul followed by the in-place
 * accumulation kernel for the bits, Σ x² of the product read back for its squares, and whole runs of
 * `fit` and `model.fit` through tfjs's engine (no replay, so no sink) for training. Where no host BLAS loads, nothing is taken and
 * the runs must still agree.
 */
import { afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { setUpWasm, normals, seeded } from "../backend/helpers";
import { hostBlas } from "../../src/backend/blas";
import { accumulateProduct } from "../../src/backend/wasm-matmul";
import type { WasmBackendLike } from "../../src/backend/kernels/scope";
import { GradientAccumulator } from "../../src/accumulate";
import { adam, sgd } from "../../src/optim";
import { fit, modelFitReplay, setModelFitReplay } from "../../src/train";
import { inPlaceArithmetic } from "../../src/tensor";

before(async () => {
  await setUpWasm();
  await tf.setBackend("wasm");
});

function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
}

function wasmBackend(): WasmBackendLike {
  return tf.backend() as unknown as WasmBackendLike;
}

describe("accumulateProduct on wasm", () => {
  test("random shapes and power-of-two scales: the bits of BatchMatMul then accumulate, into a sum and into a new one; Σ x² close to the product's", () => {
    const random = seeded(20261204);
    const blas = hostBlas();
    let taken = 0;
    for (let c = 0; c < 60; c++) {
      const [m, k, n] = [8 + random.int(300), 1 + random.int(64), 8 + random.int(300)];
      const transposeA = random.int(2) === 0;
      const scale = 2 ** random.int(7);
      const withSum = random.int(3) > 0;
      const squares = random.int(2) === 0;
      const where = `case ${c}: [${m}, ${k}]·[${k}, ${n}]${transposeA ? " (Aᵀ)" : ""}, scale ${scale}, ${withSum ? "into a sum" : "a new sum"}${squares ? ", with Σ x²" : ""}`;
      const a = tf.tensor(normals(random, m * k), transposeA ? [k, m] : [m, k]);
      const b = tf.tensor(normals(random, k * n), [k, n]);
      const start = withSum ? tf.tensor(normals(random, m * n), [m, n]) : undefined;
      // the reference: the product as BatchMatMul makes it, added by the in-place kernel
      const product = tf.matMul(a, b, transposeA, false);
      const reference = inPlaceArithmetic()!.accumulate(start?.clone(), product, scale)!;
      const sum = start?.clone();
      const before = sum ? bits(sum) : [];
      const result = accumulateProduct(wasmBackend(), { a, b, transposeA, transposeB: false }, sum, scale, squares);
      const expected = blas !== undefined && m * k * n >= 1 << 15 && (!squares || m * n >= 1 << 15);
      assert.equal(result !== undefined, expected, `${where}: taken where the host BLAS takes the product`);
      if (result) {
        taken++;
        const made = sum ?? tf.engine().makeTensorFromTensorInfo(result.sum);
        if (sum) assert.equal(result.sum.dataId, sum.dataId, `${where}: written into the sum`);
        assert.deepEqual(bits(made), bits(reference.sum), `${where}: bits`);
        if (squares) {
          assert.ok(Math.abs(result.squares! - reference.gradSquares) <= 1e-4 * reference.gradSquares, `${where}: Σ x² ${result.squares} against ${reference.gradSquares}`);
        } else assert.equal(result.squares, undefined, where);
        if (!sum) made.dispose();
      } else if (sum) {
        assert.deepEqual(bits(sum), before, `${where}: refused, and nothing written`);
      }
      tf.dispose([a, b, start, product, reference.sum, sum]);
    }
    if (blas) assert.ok(taken >= 20, `only ${taken} of 60 products were taken`);
  });

  test("refuses a scale that is not a power of two from 1, a transposed B, a sum of another shape and a small product, writing nothing", () => {
    const random = seeded(7);
    const a = tf.tensor(normals(random, 32 * 64), [32, 64]);
    const b = tf.tensor(normals(random, 32 * 128), [32, 128]);
    const bt = tf.tensor(normals(random, 128 * 32), [128, 32]);
    const sum = tf.tensor(normals(random, 64 * 128), [64, 128]);
    const other = tf.tensor(normals(random, 128 * 64), [128, 64]);
    const small = tf.tensor(normals(random, 4 * 8), [4, 8]);
    const smallB = tf.tensor(normals(random, 4 * 8), [4, 8]);
    const before = bits(sum);
    const product = { a, b, transposeA: true, transposeB: false };
    const backend = wasmBackend();
    for (const scale of [3, 0.5, 24, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(accumulateProduct(backend, product, sum, scale, false), undefined, `scale ${scale}`);
    assert.equal(accumulateProduct(backend, { a, b: bt, transposeA: true, transposeB: true }, sum, 2, false), undefined, "transposed B");
    assert.equal(accumulateProduct(backend, product, other, 2, false), undefined, "a sum of another shape");
    assert.equal(accumulateProduct(backend, { a: small, b: smallB, transposeA: true, transposeB: false }, undefined, 1, false), undefined, "a small product");
    assert.deepEqual(bits(sum), before);
    if (hostBlas()) assert.notEqual(accumulateProduct(backend, product, sum, 2, false), undefined, "the same product with scale 2 is taken");
    tf.dispose([a, b, bt, sum, other, small, smallB]);
  });
});

describe("a gradient sink", () => {
  test("abandoned, it drops the sums it started and discards the windows it added into; counted once, for its own item count", () => {
    const random = seeded(11);
    const accumulator = new GradientAccumulator({ groupOf: () => "default", windowOf: () => 4, lastWindow: "rescale", trackNoiseScale: false });
    const tensorsBefore = tf.memory().numTensors;
    const x = tf.tensor(normals(random, 16 * 200), [16, 200]);
    const dy = tf.tensor(normals(random, 16 * 300), [16, 300]);
    const product: { a: TensorInfo; b: TensorInfo; transposeA: boolean; transposeB: boolean } = { a: x, b: dy, transposeA: true, transposeB: false };
    const first = accumulator.sink(16);
    const took = first.take("w1", product, 0);
    assert.equal(took, hostBlas() !== undefined, "taken where there is a host BLAS");
    const grad = tf.matMul(x, dy, true, false);
    accumulator.add({ w2: grad }, 16, first);
    assert.deepEqual(accumulator.pending(), [{ group: "default", microBatches: 1, items: 16 }]);
    assert.throws(() => accumulator.add({}, 16, first), /counted or abandoned already/);
    assert.throws(() => accumulator.add({}, 8, accumulator.sink(16)), /made for 16 items, but the micro-batch has 8/);
    const other = new GradientAccumulator({ groupOf: () => "default", windowOf: () => 4, lastWindow: "rescale", trackNoiseScale: false });
    assert.throws(() => accumulator.add({}, 16, other.sink(16)), /must come from this accumulator's sink\(\)/);
    if (took) {
      // a sink that added into a window in place and was abandoned: that window is gone, its buffers freed
      const second = accumulator.sink(16);
      assert.ok(second.take("w1", product, 0));
      second.abandon();
      assert.deepEqual(accumulator.pending(), []);
      // one that started a sum and was abandoned: the sum is freed
      const third = accumulator.sink(16);
      assert.ok(third.take("w1", product, 0));
      third.abandon();
      assert.deepEqual(accumulator.pending(), []);
    }
    accumulator.dispose();
    if (took) {
      // a window's gradients come out in the step's order, the taken one at its position among the others
      const single = new GradientAccumulator({ groupOf: () => "default", windowOf: () => 1, lastWindow: "rescale", trackNoiseScale: false });
      const sink = single.sink(16);
      assert.ok(sink.take("b", product, 1));
      const [window] = single.add({ a: grad, c: grad }, 16, sink);
      assert.deepEqual(Object.keys(window.grads), ["a", "b", "c"]);
      tf.dispose(Object.values(window.grads));
    }
    tf.dispose([x, dy, grad]);
    assert.equal(tf.memory().numTensors, tensorsBefore, "tensors leaked");
  });
});

describe("an optimizer's gradient sink", () => {
  test("exists only where the optimizer accumulates; another optimizer's sink is refused by name", () => {
    const plain = sgd({ lr: 0.1 });
    const accumulating = sgd({ lr: 0.1, accumulate: { steps: 2 } });
    assert.equal(plain.gradientSink(16), undefined);
    const sink = accumulating.gradientSink(16);
    assert.ok(sink);
    assert.throws(() => plain.applyGradients({}, { itemCount: 16, sink }), /a gradient sink is only for an optimizer that accumulates/);
    assert.throws(() => sgd({ lr: 0.1, accumulate: { steps: 2 } }).applyGradients({}, { itemCount: 16, sink }), /must come from this accumulator's sink\(\)/);
    sink.abandon();
    accumulating.dispose();
  });
});

interface RunConfig {
  inputs: number;
  hidden: number;
  batchSize: number;
  steps: number;
  noiseScale: boolean;
  optimizer: "adam" | "sgd";
}

async function run(config: RunConfig, data: { x: tf.Tensor; y: tf.Tensor }, replay: boolean, loop: "sw.fit" | "model.fit") {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [config.inputs], units: config.hidden, activation: "relu", kernelInitializer: init(1) }),
      tf.layers.dense({ units: config.hidden, activation: "relu", kernelInitializer: init(2) }),
      tf.layers.dense({ units: 10, kernelInitializer: init(3) }),
    ],
  });
  const accumulate = { steps: config.steps, noiseScale: config.noiseScale };
  const optimizer = config.optimizer === "adam" ? adam({ lr: 0.01, accumulate }) : sgd({ lr: 0.05, momentum: 0.9, accumulate });
  let steps: unknown[];
  let replayed: number;
  if (loop === "sw.fit") {
    const history = await fit(model, { optimizer, loss: "sparseCategoricalCrossentropy", data, batchSize: config.batchSize, epochs: 2, seed: 3, progress: "none", replay });
    steps = history.steps.map(({ step, loss, gradientNorm, items }) => ({ step, loss, gradientNorm, items }));
    replayed = history.replay?.microBatches ?? 0;
  } else {
    setModelFitReplay(replay);
    model.compile({ optimizer, loss: "sparseCategoricalCrossentropy" });
    const labels = tf.tidy(() => data.y.toFloat().reshape([-1, 1]));
    const history = await model.fit(data.x, labels, { batchSize: config.batchSize, epochs: 2, shuffle: false, verbose: 0, callbacks: [optimizer.fitCallback()] });
    labels.dispose();
    steps = history.history.loss as number[];
    replayed = modelFitReplay(model).microBatches;
  }
  const outcome = { weights: model.getWeights().map(bits), steps, noise: optimizer.noiseScale().default?.bSimple, replayed };
  model.dispose();
  optimizer.dispose();
  return outcome;
}

describe("training with accumulation on wasm", () => {
  afterEach(() => setModelFitReplay(true));

  test("random MLPs, batch sizes, windows, optimizers, through sw.fit and model.fit: the weight gradients taken into the windows give the engine's run, bit for bit", async () => {
    const random = seeded(20261205);
    const proto = GradientAccumulator.prototype as unknown as { takeProduct: (...args: unknown[]) => unknown };
    const takeProduct = proto.takeProduct;
    let taken = 0;
    proto.takeProduct = function (this: unknown, ...args: unknown[]) {
      const result = takeProduct.apply(this, args);
      if (result !== undefined) taken++;
      return result;
    };
    try {
      for (let c = 0; c < 8; c++) {
        const loop = c % 2 === 0 ? "sw.fit" : "model.fit";
        const config: RunConfig = {
          // products of 192 × 192 and more: each layer but the head is taken, its Σ x² wanted or not
          inputs: 192 + random.int(200),
          hidden: 192 + random.int(128),
          batchSize: [8, 16, 32][random.int(3)],
          steps: 2 + random.int(3),
          noiseScale: random.int(2) === 0,
          optimizer: random.int(2) === 0 ? "adam" : "sgd",
        };
        const where = `config ${c}, ${loop}: ${JSON.stringify(config)}`;
        const samples = config.batchSize * config.steps * 3;
        const data = { x: tf.tensor(normals(random, samples * config.inputs), [samples, config.inputs]), y: tf.tensor1d(Int32Array.from({ length: samples }, () => random.int(10)), "int32") };
        const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
        const engine = await run(config, data, false, loop);
        const takenBefore = taken;
        const replayed = await run(config, data, true, loop);
        assert.ok(replayed.replayed > 0, `${where}: nothing was replayed`);
        if (hostBlas()) assert.ok(taken > takenBefore, `${where}: no gradient was taken into a window`);
        assert.deepEqual(replayed.weights, engine.weights, `${where}: weights`);
        assert.deepEqual(replayed.steps, engine.steps, `${where}: steps`);
        if (config.noiseScale && engine.noise !== undefined) {
          // Σ x² of a taken product comes from Gram matrices: close to the engine's, not equal
          assert.ok(replayed.noise !== undefined && Math.abs(replayed.noise - engine.noise) <= 1e-3 * Math.abs(engine.noise), `${where}: B_simple ${replayed.noise} against ${engine.noise}`);
        }
        assert.equal(tf.memory().numTensors, before.tensors, `${where}: tensors leaked`);
        assert.equal(tf.engine().backend.numDataIds(), before.buffers, `${where}: backend buffers leaked`);
        tf.dispose([data.x, data.y]);
      }
    } finally {
      proto.takeProduct = takeProduct;
    }
  });
});
