/**
 * Turning training data into batches: `{ x, y }` tensors (sliced per batch by a seeded permutation) or any
 * BatchSource. Shuffling depends only on (seed, epoch), so a resumed run sees the same batches.
 */
import * as tf from "@tensorflow/tfjs";
import { Batch, BatchSource } from "./types";

export type DataInput = { x: tf.Tensor; y: tf.Tensor } | BatchSource;

export function isBatchSource(data: DataInput): data is BatchSource {
  return typeof (data as BatchSource).batches === "function" && typeof (data as BatchSource).size === "number";
}

export function toBatchSource(data: DataInput, options: { shuffle: boolean; seed: number; what: string }): BatchSource {
  if (data && isBatchSource(data)) return data;
  const tensors = data as { x?: unknown; y?: unknown };
  if (!(tensors?.x instanceof tf.Tensor) || !(tensors?.y instanceof tf.Tensor)) {
    throw new Error(`fit: ${options.what} must be { x, y } tensors, a stepwise Dataset, or a BatchSource`);
  }
  const { x, y } = tensors as { x: tf.Tensor; y: tf.Tensor };
  if (x.shape[0] !== y.shape[0]) throw new Error(`fit: ${options.what}.x has ${x.shape[0]} rows but ${options.what}.y has ${y.shape[0]}`);
  if (x.shape[0] === 0) throw new Error(`fit: ${options.what} is empty`);
  return new TensorSource(x, y, options.shuffle, options.seed);
}

class TensorSource implements BatchSource {
  readonly size: number;

  constructor(
    private readonly x: tf.Tensor,
    private readonly y: tf.Tensor,
    private readonly shuffle: boolean,
    private readonly seed: number,
  ) {
    this.size = x.shape[0];
  }

  *batches(epoch: number, batchSize: number): Iterable<Batch> {
    const order = this.shuffle ? permutation(this.size, this.seed, epoch) : undefined;
    for (let start = 0; start < this.size; start += batchSize) {
      const size = Math.min(batchSize, this.size - start);
      if (!order) {
        yield { x: this.x.slice(start, size), y: this.y.slice(start, size), size };
        continue;
      }
      const indices = tf.tensor1d(order.subarray(start, start + size), "int32");
      try {
        yield { x: tf.gather(this.x, indices), y: tf.gather(this.y, indices), size };
      } finally {
        indices.dispose();
      }
    }
  }
}

/** A Fisher–Yates permutation of 0..n-1 from a seeded generator (mulberry32) keyed by (seed, epoch). */
function permutation(n: number, seed: number, epoch: number): Int32Array {
  let state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35)) >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
