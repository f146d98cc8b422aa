/**
 * Turning training data into batches: a stepwise Dataset (typed arrays, batched by `batches`), `{ x, y }`
 * tensors (rows gathered by the epoch's order), or any BatchSource. Shuffling depends only on
 * (seed, epoch) — `epochOrder` — so a resumed run sees the same batches.
 */
import * as tf from "@tensorflow/tfjs";
import { Dataset, batches, epochOrder } from "../data";
import { identity } from "../data/dataset";
import { Batch, BatchSource } from "./types";

export type DataInput = Dataset | { x: tf.Tensor; y: tf.Tensor } | BatchSource;

function isBatchSource(data: DataInput): data is BatchSource {
  return typeof (data as BatchSource).batches === "function" && typeof (data as BatchSource).size === "number";
}

function isDataset(data: DataInput): data is Dataset {
  const ds = data as Dataset;
  return ds.x instanceof Float32Array && Array.isArray(ds.xShape) && typeof ds.size === "number";
}

export function toBatchSource(data: DataInput, options: { shuffle: boolean; seed: number; what: string }): BatchSource {
  if (data && isBatchSource(data)) return data;
  if (data && isDataset(data)) {
    return {
      size: data.size,
      batches: (epoch, batchSize) => batches(data, { batchSize, shuffle: options.shuffle, seed: options.seed, epoch }),
    };
  }
  const tensors = data as { x?: unknown; y?: unknown };
  if (!(tensors?.x instanceof tf.Tensor) || !(tensors?.y instanceof tf.Tensor)) {
    throw new Error(`fit: ${options.what} must be a stepwise Dataset, { x, y } tensors, or a BatchSource`);
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

  /**
   * Rows are gathered in either order: one kernel per batch, like a slice of the rows in dataset order (on
   * wasm both copy only the batch: stepwise's Slice and GatherV2, src/backend/kernels), so one path serves both.
   */
  *batches(epoch: number, batchSize: number): Iterable<Batch> {
    const order = this.shuffle ? epochOrder(this.size, this.seed, epoch) : identity(this.size);
    for (let start = 0; start < this.size; start += batchSize) {
      const size = Math.min(batchSize, this.size - start);
      const indices = tf.tensor1d(order.subarray(start, start + size), "int32");
      try {
        yield { x: tf.gather(this.x, indices), y: tf.gather(this.y, indices), size };
      } finally {
        indices.dispose();
      }
    }
  }
}
