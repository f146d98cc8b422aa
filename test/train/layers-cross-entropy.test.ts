/**
 * tfjs-layers' sparseCategoricalCrossentropy in a few kernels (src/train/layers-cross-entropy.ts), against
 * tfjs-layers' own loss (taken from a compiled model) differentiated by tfjs's tape, the independent
 * reference: the per-row losses and the gradient, bit for bit, over random shapes, probabilities (normalised
 * softmax outputs and raw values outside [0, 1]), labels (fractional, outside the classes) and upstream
 * gradients.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { fusedSparseCrossEntropy, sparseCrossEntropy, takesSparseCrossEntropy, type LayersLoss } from "../../src/train/layers-cross-entropy";
import { seeded, setUpWasm } from "../backend/helpers";

before(setUpWasm);

/** tfjs-layers' loss function for `loss: "sparseCategoricalCrossentropy"`, as compile resolves it. */
function tfjsLayersLoss(): LayersLoss {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [1] })] });
  model.compile({ optimizer: "sgd", loss: "sparseCategoricalCrossentropy" });
  const loss = (model as unknown as { model: { lossFunctions: LayersLoss[] } }).model.lossFunctions[0];
  model.dispose();
  return loss;
}

/** The bits of the per-row losses and of the gradient of Σ dy · loss at `p`. */
function lossAndGradBits(loss: LayersLoss, labels: tf.Tensor, p: tf.Tensor, dy: tf.Tensor): { value: Uint32Array; grad: Uint32Array } {
  const bits = (t: tf.Tensor): Uint32Array => new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer);
  const value = loss(labels, p);
  const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(loss(labels, x), dy)))(p);
  const result = { value: bits(value), grad: bits(grad) };
  tf.dispose([value, grad]);
  return result;
}

test("tfjs-layers' sparseCategoricalCrossentropy bit for bit, losses and gradient, over 300 random cases on wasm", async () => {
  await tf.setBackend("wasm");
  const own = tfjsLayersLoss();
  const random = seeded(20261204);
  const reached = { clippedLow: 0, clippedHigh: 0, invalidLabel: 0, fractionalLabel: 0 };
  const before = tf.memory().numTensors;
  for (let c = 0; c < 300; c++) {
    const columns = 2 + random.int(12);
    // [rows, classes], or a sequence of predictions [batch, steps, classes] with one label per step
    const shape = c % 5 === 4 ? [1 + random.int(6), 1 + random.int(5), columns] : [1 + random.int(40), columns];
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const raw = c % 4 === 3;
    // softmax outputs from flat to saturated (below ε and above 1 − ε), or raw values outside [0, 1]
    const scale = [0.1, 3, 30][c % 3];
    const values = Array.from({ length: rows * columns }, () => (raw ? -0.3 + 1.7 * random.next() : scale * random.normal()));
    const p = tf.tidy(() => (raw ? tf.tensor(values, shape) : tf.softmax(tf.tensor(values, shape))));
    const labels = Array.from({ length: rows }, () => {
      const roll = random.next();
      if (roll < 0.1) return [-1, columns, columns + 3, -0.5][random.int(4)];
      return random.int(columns) + (roll < 0.3 ? 0.25 + 0.5 * random.next() : 0);
    });
    const labelTensor = c % 2 === 0 ? tf.tensor2d(labels, [rows, 1]) : tf.tensor(labels, shape.slice(0, -1));
    const dy = tf.tensor(Array.from({ length: rows }, () => 0.05 + random.next()), shape.slice(0, -1));

    const probabilities = p.dataSync();
    for (let i = 0; i < rows; i++) {
      const label = Math.floor(labels[i]);
      if (label < 0 || label >= columns) reached.invalidLabel++;
      else if (labels[i] !== label) reached.fractionalLabel++;
      for (let k = 0; k < columns; k++) {
        if (probabilities[i * columns + k] < 1e-7) reached.clippedLow++;
        if (probabilities[i * columns + k] > 1 - 1e-7) reached.clippedHigh++;
      }
    }
    assert.ok(takesSparseCrossEntropy(labelTensor, p), `case ${c}: the fused loss takes [${shape}]`);
    const reference = lossAndGradBits(own, labelTensor, p, dy);
    const fused = lossAndGradBits(sparseCrossEntropy, labelTensor, p, dy);
    const where = `case ${c}: [${shape}], ${raw ? "raw values" : `softmax of scale ${scale}`}`;
    assert.deepEqual(fused.value, reference.value, `${where}: the losses`);
    assert.deepEqual(fused.grad, reference.grad, `${where}: the gradient`);
    tf.dispose([p, labelTensor, dy]);
  }
  assert.equal(tf.memory().numTensors, before, "tensors left behind");
  for (const [what, count] of Object.entries(reached)) assert.ok(count > 20, `the cases reach ${what} (${count} times)`);
});

test("the fused loss runs two stepwise kernels where tfjs-layers runs a dozen, and hands other shapes to tfjs-layers' own", async () => {
  await tf.setBackend("wasm");
  const own = tfjsLayersLoss();
  const fused = fusedSparseCrossEntropy(own);
  const p = tf.softmax(tf.tensor2d([0.3, -1, 2, 0.1, 0.5, 0.5], [2, 3]));
  const labels = tf.tensor2d([2, 0], [2, 1]);
  const kernels = async (loss: LayersLoss): Promise<string[]> =>
    (await tf.profile(() => tf.grad((x: tf.Tensor) => tf.sum(loss(labels, x)))(p))).kernelNames;
  const ownKernels = await kernels(own);
  const fusedKernels = await kernels(fused);
  assert.ok(fusedKernels.includes("StepwiseSparseProbabilityPick") && fusedKernels.includes("StepwiseSparseCrossEntropyGrad"), fusedKernels.join(", "));
  assert.ok(fusedKernels.length < ownKernels.length, `${fusedKernels.length} kernels against tfjs-layers' ${ownKernels.length}`);

  // a diverged row (NaN probabilities) has a NaN loss and gradient, as in tfjs-layers, whatever its label
  const diverged = tf.tensor2d([NaN, 0.5, 0.5, 0.2, 0.3, 0.5, NaN, NaN, NaN], [3, 3]);
  for (const y of [tf.tensor2d([1, 2, 1], [3, 1]), tf.tensor2d([5, 0, -1], [3, 1])]) {
    const nanPattern = (loss: LayersLoss): boolean[][] => {
      const grad = tf.grad((x: tf.Tensor) => tf.sum(loss(y, x)))(diverged);
      return [Array.from(loss(y, diverged).dataSync(), Number.isNaN), Array.from(grad.dataSync(), Number.isNaN)];
    };
    const expected = nanPattern(own);
    assert.deepEqual(expected[0], [true, false, true], "tfjs-layers' losses");
    assert.deepEqual(nanPattern(fused), expected, `labels ${y.dataSync().join(", ")}`);
  }

  // one class, or labels that do not give one class per row: tfjs-layers' own loss, and its errors
  for (const [y, x] of [[tf.zeros([3, 1]), tf.ones([3, 1])], [tf.zeros([4, 1]), p]]) {
    assert.equal(takesSparseCrossEntropy(y, x), false, `labels [${y.shape}], predictions [${x.shape}]`);
    assert.throws(() => fused(y, x), (error: unknown) => {
      assert.throws(() => own(y, x), { message: (error as Error).message });
      return true;
    });
  }
  // on cpu the kernels are not there: tfjs-layers' own loss
  await tf.setBackend("cpu");
  assert.equal(takesSparseCrossEntropy(labels, p), false);
  await tf.setBackend("wasm");
});
