/**
 * The loss kernels on wasm (src/backend/kernels/cross-entropy.ts, assembly/losses.ts) against the
 * composition they replace, run on wasm itself with the kernels unregistered: sw.fit's cross-entropies
 * (value and gradient) and its count of correct predictions must give the same bits over a space of random
 * shapes, scales, ties, out-of-range classes and non-finite scores. The same for the softmax gradient
 * (src/backend/kernels/softmax-grad.ts) against tfjs-core's formula. The compositions themselves are checked
 * against tfjs-core's and tfjs-layers' losses in test/train/cross-entropy.test.ts.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { lossKernelConfigs } from "../../src/backend/kernels/cross-entropy";
import { crossEntropyOfLogits, crossEntropyOfProbabilities } from "../../src/train/cross-entropy";
import { correctCount } from "../../src/train/loss";
import {
  COUNT_CORRECT_KERNEL,
  LOG_SOFTMAX_PICK_KERNEL,
  NEG_MEAN_KERNEL,
  PROBABILITIES_GRAD_KERNEL,
  PROBABILITIES_SOFTMAX_GRAD_KERNEL,
  PROBABILITY_PICK_COUNT_KERNEL,
  PROBABILITY_PICK_KERNEL,
  ROW_MAX_SHIFT_KERNEL,
  SOFTMAX_GRAD_COLUMN_SUMS_KERNEL,
  SOFTMAX_GRAD_KERNEL,
  SPARSE_CROSS_ENTROPY_GRAD_KERNEL,
  SPARSE_PROBABILITY_PICK_KERNEL,
} from "../../src/train/loss-kernels";
import { seeded, setUpWasm } from "./helpers";
import type { Rng } from "../../src/data";

before(async () => {
  await setUpWasm();
  await tf.setBackend("wasm");
});

/** `compute` on wasm with the loss kernels unregistered: the composed path. */
function composed<T>(compute: () => T): T {
  for (const config of lossKernelConfigs) tf.unregisterKernel(config.kernelName, "wasm");
  try {
    return compute();
  } finally {
    for (const config of lossKernelConfigs) tf.registerKernel(config);
  }
}

interface Outcome {
  value: number;
  grad: Float32Array;
  correct: number;
}

/** Value and gradient of `loss` at `scores`, and the correct count, read back; nothing left behind. */
function evaluate(loss: (classes: tf.Tensor1D, scores: tf.Tensor2D) => tf.Scalar, scores: number[], classes: number[], shape: [number, number]): Outcome {
  const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
  const result = tf.tidy(() => {
    const z = tf.tensor2d(scores, shape);
    const labels = tf.tensor1d(classes, "int32");
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => loss(labels, x as tf.Tensor2D))(z);
    const correct = correctCount(labels, z)!.dataSync()[0];
    return { value: value.dataSync()[0], grad: Float32Array.from(grad.dataSync()), correct };
  });
  assert.equal(tf.memory().numTensors, before.tensors, "tensors left behind");
  assert.equal(tf.engine().backend.numDataIds(), before.buffers, "wasm buffers left behind");
  return result;
}

/** Bit for bit, NaN equal to NaN. */
function assertSameBits(actual: Outcome, expected: Outcome, where: string): void {
  assert.ok(Object.is(actual.value, expected.value), `${where}: value ${actual.value} vs composed ${expected.value}`);
  assert.equal(actual.correct, expected.correct, `${where}: correct count`);
  const same = new Uint32Array(actual.grad.buffer).every((bits, i) => bits === new Uint32Array(expected.grad.buffer)[i] || (Number.isNaN(actual.grad[i]) && Number.isNaN(expected.grad[i])));
  if (!same) {
    const at = actual.grad.findIndex((v, i) => !Object.is(v, expected.grad[i]));
    assert.fail(`${where}: gradient [${at}] ${actual.grad[at]} vs composed ${expected.grad[at]}`);
  }
}

/** A class index per row, one in eight outside [0, cols) (an all-zero one-hot row). */
function drawClasses(random: Rng, rows: number, cols: number): number[] {
  return Array.from({ length: rows }, () => (random.int(8) === 0 ? [-1, cols, cols + 3][random.int(3)] : random.int(cols)));
}

describe("loss kernels on wasm: the composed arithmetic, bit for bit", () => {
  test("cross-entropy from logits and the correct count over 300 random cases: scales, ties, ±∞ and NaN, classes out of range", () => {
    const random = seeded(20261202);
    for (let c = 0; c < 300; c++) {
      const rows = 1 + random.int(40);
      const cols = 2 + random.int(15);
      const scale = [0.01, 1, 10, 120][c % 4];
      const scores = Array.from({ length: rows * cols }, () => Math.fround(scale * random.normal()));
      // ties: a row of equal logits, or one value repeated
      if (c % 5 === 1) scores.fill(scores[0], 0, cols);
      if (c % 5 === 2) scores[random.int(scores.length)] = scores[random.int(scores.length)];
      // non-finite logits in one case in six
      if (c % 6 === 3) scores[random.int(scores.length)] = [Infinity, -Infinity, NaN][random.int(3)];
      const classes = drawClasses(random, rows, cols);
      const where = `case ${c}: ${rows}×${cols}, scale ${scale}`;
      const fused = evaluate(crossEntropyOfLogits, scores, classes, [rows, cols]);
      assertSameBits(fused, composed(() => evaluate(crossEntropyOfLogits, scores, classes, [rows, cols])), where);
    }
  });

  test("cross-entropy from probabilities over 300 random cases: unnormalised rows, zeros, both clip bounds, classes out of range", () => {
    const random = seeded(20261203);
    for (let c = 0; c < 300; c++) {
      const rows = 1 + random.int(40);
      const cols = 2 + random.int(15);
      const scores = Array.from({ length: rows * cols }, () => {
        const kind = random.int(10);
        // zeros, values far below ε (clipped up), and ordinary positive scores
        return kind === 0 ? 0 : kind === 1 ? Math.fround(1e-12 * random.next()) : Math.fround(Math.abs(random.normal()) + 1e-3);
      });
      // no all-zero row: its share 0/0 is NaN, and a NaN loss has no bits to compare (the next test)
      for (let row = 0; row < rows; row++) if (scores.slice(row * cols, (row + 1) * cols).every((v) => v === 0)) scores[row * cols] = 0.5;
      // a row that is one-hot in effect: its class's share rounds above 1 − ε (clipped down)
      if (c % 4 === 0) {
        const row = random.int(rows);
        for (let k = 0; k < cols; k++) scores[row * cols + k] = k === 0 ? 1 : 1e-9;
      }
      const classes = drawClasses(random, rows, cols);
      if (c % 4 === 0) classes[0] = 0;
      const where = `case ${c}: ${rows}×${cols}`;
      const fused = evaluate(crossEntropyOfProbabilities, scores, classes, [rows, cols]);
      assertSameBits(fused, composed(() => evaluate(crossEntropyOfProbabilities, scores, classes, [rows, cols])), where);
    }
  });

  test("a NaN share (a NaN probability, an all-zero row) gives a NaN loss, composed or not, as on tfjs's cpu backend", async () => {
    for (const scores of [[0.2, Number.NaN, 0.3, 0.5, 0.25, 0.25], [0, 0, 0, 0.5, 0.25, 0.25]]) {
      const onWasm = evaluate(crossEntropyOfProbabilities, scores, [1, 2], [2, 3]);
      const composedOnWasm = composed(() => evaluate(crossEntropyOfProbabilities, scores, [1, 2], [2, 3]));
      await tf.setBackend("cpu");
      try {
        const onCpu = evaluate(crossEntropyOfProbabilities, scores, [1, 2], [2, 3]);
        assert.ok(Number.isNaN(onCpu.value), `cpu, [${scores}]: the loss is NaN`);
      } finally {
        await tf.setBackend("wasm");
      }
      assert.ok(Number.isNaN(onWasm.value), `wasm, [${scores}]: the loss is NaN, got ${onWasm.value}`);
      assert.ok(Number.isNaN(composedOnWasm.value), `wasm, composed, [${scores}]: the loss is NaN, got ${composedOnWasm.value}`);
    }
  });

  test("the kernels refuse operands of the wrong shape or dtype, naming them, and allocate nothing", () => {
    const z = tf.zeros([3, 4]);
    const [vector3, vector4, matrix] = [tf.zeros([3]), tf.zeros([4]), tf.zeros([1, 1])];
    const classes = tf.tensor1d([0, 1, 2], "int32");
    const short = tf.tensor1d([0, 1], "int32");
    const floatClasses = tf.tensor1d([0, 1, 2]);
    const one = tf.scalar(1);
    const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
    const run = (name: string, inputs: Record<string, tf.Tensor>, attrs = {}) => () => tf.engine().runKernel(name, inputs, attrs);
    const grad = (dy: tf.Tensor, cols: number) => run(PROBABILITIES_GRAD_KERNEL, { classes, q: vector3, s: vector3, c: vector3, dy }, { lo: 0, hi: 1, cols });
    assert.throws(run(COUNT_CORRECT_KERNEL, { x: z, classes: short }), /StepwiseCountCorrect: classes must be int32 \[3\], got int32 \[2\]/);
    assert.throws(run(COUNT_CORRECT_KERNEL, { x: z, classes: floatClasses }), /classes must be int32 \[3\], got float32 \[3\]/);
    assert.throws(run(ROW_MAX_SHIFT_KERNEL, { z: vector3 }), /z must be a float32 matrix \[rows, cols\] with cols ≥ 1, got float32 \[3\]/);
    assert.throws(run(LOG_SOFTMAX_PICK_KERNEL, { z, m: vector3, l: vector4, classes }), /l must be float32 \[3\], got float32 \[4\]/);
    assert.throws(grad(matrix, 4), /dy must be a float32 scalar, got float32 \[1,1\]/);
    assert.throws(grad(one, 0), /attribute cols must be an integer ≥ 1, got 0/);
    assert.throws(run(PROBABILITY_PICK_COUNT_KERNEL, { p: z, classes: short }, { lo: 0, hi: 1 }), /StepwiseProbabilityPickCount: classes must be int32 \[3\], got int32 \[2\]/);
    assert.throws(
      run(PROBABILITIES_SOFTMAX_GRAD_KERNEL, { classes: short, q: vector3, s: vector3, c: vector3, dy: one, y: z }, { lo: 0, hi: 1 }),
      /StepwiseCrossEntropyOfProbabilitiesSoftmaxGrad: classes must be int32 \[3\], got int32 \[2\]/,
    );
    assert.throws(run(PROBABILITIES_SOFTMAX_GRAD_KERNEL, { classes, q: vector3, s: vector3, c: vector3, dy: vector3, y: z }, { lo: 0, hi: 1 }), /dy must be a float32 scalar, got float32 \[3\]/);
    assert.throws(run(NEG_MEAN_KERNEL, { x: classes }), /StepwiseNegMean: x must be a float32 tensor, got int32/);
    assert.throws(run(SPARSE_PROBABILITY_PICK_KERNEL, { u: z, classes: short }, { lo: 0, hi: 1 }), /StepwiseSparseProbabilityPick: classes must be int32 \[3\], got int32 \[2\]/);
    assert.throws(run(SPARSE_CROSS_ENTROPY_GRAD_KERNEL, { u: z, s: vector3, classes, dy: one }, { lo: 0, hi: 1 }), /StepwiseSparseCrossEntropyGrad: dy must be float32 \[3\], got float32 \[\]/);
    assert.throws(run(SPARSE_CROSS_ENTROPY_GRAD_KERNEL, { u: vector3, s: vector3, classes, dy: vector3 }, { lo: 0, hi: 1 }), /u must be a float32 matrix \[rows, cols\] with cols ≥ 1, got float32 \[3\]/);
    assert.equal(tf.memory().numTensors, before.tensors, "tensors made by refused calls");
    assert.equal(tf.engine().backend.numDataIds(), before.buffers, "wasm buffers made by refused calls");
    tf.dispose([z, vector3, vector4, matrix, classes, short, floatClasses, one]);
  });

  test("the softmax gradient: tfjs-core's formula on wasm, bit for bit, over 200 random shapes of rank 1 to 4", async () => {
    const random = seeded(20261204);
    const formula = (y: tf.Tensor, dy: tf.Tensor) => {
      const dyTimesY = tf.mul(dy, y);
      return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [-1], true), y));
    };
    for (let c = 0; c < 200; c++) {
      const rank = 1 + random.int(4);
      const shape = Array.from({ length: rank }, (_, i) => (i === rank - 1 ? 1 + random.int(20) : 1 + random.int(6)));
      const size = shape.reduce((a, b) => a * b, 1);
      const scale = [0.1, 1, 30][c % 3];
      const xs = Array.from({ length: size }, () => scale * random.normal());
      const dys = Array.from({ length: size }, () => random.normal());
      if (c % 7 === 3) dys[random.int(size)] = [Infinity, NaN][random.int(2)];
      const [fused, expected] = tf.tidy(() => {
        const x = tf.tensor(xs, shape);
        const dy = tf.tensor(dys, shape);
        const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.softmax(input), dy)))(x);
        return [grad.dataSync(), formula(tf.softmax(x), dy).dataSync()].map((v) => Float32Array.from(v));
      });
      const at = fused.findIndex((v, i) => !Object.is(v, expected[i]) && !(Number.isNaN(v) && Number.isNaN(expected[i])));
      assert.equal(at, -1, `case ${c}: [${shape}] scale ${scale}: [${at}] ${fused[at]} vs tfjs's formula ${expected[at]}`);
    }
    const profile = await tf.profile(() => tf.dispose(tf.grad((x: tf.Tensor) => tf.sum(tf.softmax(x)))(tf.ones([2, 3]))));
    assert.ok(profile.kernelNames.includes(SOFTMAX_GRAD_KERNEL), `wasm ran ${profile.kernelNames.join(", ")}`);
  });

  test("the softmax gradient with its column sums: StepwiseSoftmaxGrad's dx and Sum's sums over the leading axes, bit for bit, over 200 random shapes of rank 2 to 4", () => {
    const random = seeded(20261206);
    for (let c = 0; c < 200; c++) {
      const rank = 2 + random.int(3);
      const shape = Array.from({ length: rank }, (_, i) => (i === rank - 1 ? 1 + random.int(20) : 1 + random.int(9)));
      const size = shape.reduce((a, b) => a * b, 1);
      const ys = Array.from({ length: size }, () => random.next());
      const dys = Array.from({ length: size }, () => [0.01, 1, 1e4][c % 3] * random.normal());
      if (c % 7 === 3) dys[random.int(size)] = [Infinity, -Infinity, NaN][random.int(3)];
      if (c % 11 === 5) dys[random.int(size)] = -0;
      const [y, dy] = [tf.tensor(ys, shape), tf.tensor(dys, shape)];
      const [dx, db] = tf.engine().runKernel(SOFTMAX_GRAD_COLUMN_SUMS_KERNEL, { dy, y }) as tf.Tensor[];
      const alone = tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { dy, y }) as tf.Tensor;
      const sums = tf.sum(alone, [...Array(rank - 1).keys()]);
      const [fused, expected] = [[dx, db], [alone, sums]].map((pair) => pair.map((t) => new Uint32Array(Float32Array.from(t.dataSync()).buffer)));
      tf.dispose([y, dy, dx, db, alone, sums]);
      assert.deepEqual(fused[1].length, shape[rank - 1], `case ${c}: [${shape}]: one sum per column`);
      ["dx", "db"].forEach((name, k) => assert.deepEqual(fused[k], expected[k], `case ${c}: [${shape}]: ${name}`));
    }
    const y = tf.ones([2, 3]);
    assert.throws(() => tf.engine().runKernel(SOFTMAX_GRAD_COLUMN_SUMS_KERNEL, { dy: tf.ones([3, 2]), y }), /StepwiseSoftmaxGradColumnSums: dy and y must be float32 tensors of one shape/);
    y.dispose();
  });

  test("CrossEntropyOfProbabilitiesSoftmaxGrad: the cross-entropy's gradient fed to SoftmaxGradColumnSums, bit for bit, over 300 random cases with both clip bounds, zeros and classes out of range", () => {
    const random = seeded(20261208);
    const clip = { lo: 1e-7, hi: 1 - 1e-7 };
    for (let c = 0; c < 300; c++) {
      const [rows, cols] = [1 + random.int(40), 1 + random.int(12)];
      // probabilities, some rows unnormalised, some shares at or beyond a clip bound
      const values = Array.from({ length: rows * cols }, () => (random.int(7) === 0 ? 0 : random.int(9) === 0 ? 1 : random.next() * [1, 3][random.int(2)]));
      const classes = drawClasses(random, rows, cols);
      const upstream = [1, 0.5, -3, 1e-3][c % 4];
      const p = tf.tensor2d(values, [rows, cols]);
      const labels = tf.tensor1d(classes, "int32");
      const dy = tf.scalar(upstream);
      const attrs = clip as unknown as tf.NamedAttrMap;
      const [q, s, cl] = tf.engine().runKernel(PROBABILITY_PICK_KERNEL, { p, classes: labels }, attrs) as tf.Tensor[];
      const g = tf.engine().runKernel(PROBABILITIES_GRAD_KERNEL, { classes: labels, q, s, c: cl, dy }, { ...clip, cols } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const apart = tf.engine().runKernel(SOFTMAX_GRAD_COLUMN_SUMS_KERNEL, { dy: g, y: p }) as tf.Tensor[];
      const together = tf.engine().runKernel(PROBABILITIES_SOFTMAX_GRAD_KERNEL, { classes: labels, q, s, c: cl, dy, y: p }, attrs) as tf.Tensor[];
      const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
      assert.deepEqual(together.map(bits), apart.map(bits), `case ${c}: [${rows}, ${cols}], dy ${upstream}`);
      tf.dispose([p, labels, dy, q, s, cl, g, ...apart, ...together]);
    }
  });

  test("NegMean: tfjs's Neg then Mean over every axis, bit for bit, over 300 random lengths from 1, scales and signs, with ±∞, NaN and −0", () => {
    const random = seeded(20261209);
    for (let c = 0; c < 300; c++) {
      const shape = c % 3 === 0 ? [1 + random.int(8), 1 + random.int(8)] : [1 + random.int(200)];
      const size = shape.reduce((a, b) => a * b, 1);
      const scale = 10 ** (random.int(9) - 4);
      const values = Array.from({ length: size }, () => scale * (random.next() - 0.3));
      if (size > 0 && c % 13 === 6) values[random.int(size)] = [Infinity, -Infinity, NaN, -0][random.int(4)];
      const x = tf.tensor(values, shape);
      const fused = tf.engine().runKernel(NEG_MEAN_KERNEL, { x }) as tf.Tensor;
      const composed = tf.mean(tf.neg(x));
      const [a, b] = [fused, composed].map((t) => t.dataSync()[0]);
      assert.ok(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)), `case ${c}: [${shape}] scale ${scale}: ${a} against tfjs's ${b}`);
      assert.deepEqual(fused.shape, []);
      tf.dispose([x, fused, composed]);
    }
    // the mean of nothing is NaN (tfjs's wasm Mean leaves its output unwritten there; a replay never fuses an empty one)
    const empty = tf.tensor1d([]);
    const nothing = tf.engine().runKernel(NEG_MEAN_KERNEL, { x: empty }) as tf.Tensor;
    assert.ok(Number.isNaN(nothing.dataSync()[0]));
    tf.dispose([empty, nothing]);
  });

  test("ProbabilityPickCount: ProbabilityPick's outputs and CountCorrect's count of the same probabilities, bit for bit, over 300 random cases with ties, zeros, NaN and classes out of range", () => {
    const random = seeded(20261207);
    for (let c = 0; c < 300; c++) {
      const [rows, cols] = [1 + random.int(40), 1 + random.int(12)];
      const values = Array.from({ length: rows * cols }, () => (random.int(6) === 0 ? 0 : random.int(4) === 0 ? 0.25 : random.next()));
      if (c % 9 === 4) values[random.int(values.length)] = NaN;
      const classes = drawClasses(random, rows, cols);
      const clip = { lo: 1e-7, hi: 1 - 1e-7 };
      const [p, labels] = [tf.tensor2d(values, [rows, cols]), tf.tensor1d(classes, "int32")];
      const together = tf.engine().runKernel(PROBABILITY_PICK_COUNT_KERNEL, { p, classes: labels }, clip as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const picked = tf.engine().runKernel(PROBABILITY_PICK_KERNEL, { p, classes: labels }, clip as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const count = tf.engine().runKernel(COUNT_CORRECT_KERNEL, { x: p, classes: labels }) as tf.Tensor;
      const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
      const fused = { outputs: together.slice(0, 3).map(bits), count: together[3].dataSync()[0], dtype: together[3].dtype };
      const expected = { outputs: picked.map(bits), count: count.dataSync()[0], dtype: count.dtype };
      tf.dispose([p, labels, ...together, ...picked, count]);
      assert.deepEqual(fused, expected, `case ${c}: [${rows}, ${cols}]`);
    }
  });
});
