import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";

/** Deterministic pseudo-random numbers (mulberry32) for test data, independent of tfjs's RNG. */
export function randomValues(count: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** A two-layer MLP over plain variables: 6 → 8 (tanh) → 3, softmax cross-entropy. */
export class TinyMlp {
  readonly variables: tf.Variable[];
  private static count = 0;

  constructor(seed: number) {
    const id = TinyMlp.count++;
    this.variables = [
      tf.variable(tf.tensor2d(randomValues(48, seed, 0.5), [6, 8]), true, `mlp${id}/w1`),
      tf.variable(tf.tensor1d(randomValues(8, seed + 1, 0.1)), true, `mlp${id}/b1`),
      tf.variable(tf.tensor2d(randomValues(24, seed + 2, 0.5), [8, 3]), true, `mlp${id}/w2`),
      tf.variable(tf.tensor1d(randomValues(3, seed + 3, 0.1)), true, `mlp${id}/b2`),
    ];
  }

  /** Mean cross-entropy over the batch. */
  loss(x: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    const [w1, b1, w2, b2] = this.variables;
    const logits = x.matMul(w1).add(b1).tanh().matMul(w2).add(b2);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 3), logits) as tf.Scalar;
  }

  /** Gradients of the mean loss over rows [start, end) of the data, by variable name. */
  gradients(data: { x: tf.Tensor2D; y: tf.Tensor1D }, start: number, end: number): tf.NamedTensorMap {
    return tf.tidy(() => {
      const x = data.x.slice([start, 0], [end - start, -1]);
      const y = data.y.slice([start], [end - start]);
      return tf.variableGrads(() => this.loss(x, y), this.variables).grads;
    });
  }

  copyFrom(other: TinyMlp): void {
    this.variables.forEach((v, i) => v.assign(other.variables[i]));
  }

  values(): Float32Array[] {
    return this.variables.map((v) => v.dataSync() as Float32Array);
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}

/** Micro-batches `from` to `to` (exclusive) of 8 rows each, cycling through 64 rows, applied by `opt`. */
export function train(model: TinyMlp, opt: { applyGradients(grads: tf.NamedTensorMap, options: { itemCount: number }): void }, data: { x: tf.Tensor2D; y: tf.Tensor1D }, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const start = (i * 8) % 64;
    const grads = model.gradients(data, start, start + 8);
    opt.applyGradients(grads, { itemCount: 8 });
    tf.dispose(Object.values(grads));
  }
}

export function dataset(rows: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const x = tf.tensor2d(randomValues(rows * 6, seed), [rows, 6]);
  const labels = Int32Array.from(randomValues(rows, seed + 7), (v) => Math.floor((v + 1) * 1.5) % 3);
  return { x, y: tf.tensor1d(labels, "int32") };
}

export function maxRelativeDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((values, i) => {
    values.forEach((v, j) => {
      const w = b[i][j];
      worst = Math.max(worst, Math.abs(v - w) / Math.max(1, Math.abs(w)));
    });
  });
  return worst;
}

export function assertClose(actual: ArrayLike<number>, expected: readonly number[], rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = rtol * Math.max(1, Math.abs(expected[i]));
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} vs PyTorch ${expected[i]} (tolerance ${tolerance})`);
  }
}
