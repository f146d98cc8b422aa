import * as tf from "@tensorflow/tfjs";
import { Dataset, gatherRows, identity, itemLength } from "./dataset";
import { rng } from "./rng";
import { fail, requireBoolean, requireInteger, requireKnownKeys } from "../util/validate";

export interface BatchesOptions {
  /** Items per batch, an integer >= 1. */
  batchSize: number;
  /** Visit items in a seeded random order (see `epochOrder`); default false (dataset order). */
  shuffle?: boolean;
  /** Seed of the shuffle, an integer >= 0; default 0. */
  seed?: number;
  /** Epoch number, an integer >= 0; each epoch has its own order. Default 0. */
  epoch?: number;
  /** Leave out the last batch when it is smaller than batchSize; default false. */
  dropLast?: boolean;
  /** Yield labels as one-hot float32 rows of length numClasses instead of int32 class indices; default false. */
  oneHot?: boolean;
  /** Start at this batch of the epoch (resuming mid-epoch); earlier batches are skipped without work. Default 0. */
  startBatch?: number;
}

/** One batch of items; its tensors belong to the caller, who disposes them. */
export interface DataBatch {
  /** Features, float32, shape [size, ...xShape]. */
  x: tf.Tensor;
  /** Targets, shape [size, ...yShape]: int32 class indices, float32 targets, or float32 one-hot [size, numClasses]. */
  y: tf.Tensor;
  /** Items in this batch (batchSize, or fewer for the last one). */
  size: number;
  /** Position of the batch in the epoch, from 0. */
  index: number;
}

/** Batches in an epoch of `size` items: ceil(size / batchSize), or floor with dropLast. */
export function batchCount(size: number, batchSize: number, dropLast = false): number {
  requireInteger("batchCount", "size", size, 0);
  requireInteger("batchCount", "batchSize", batchSize, 1);
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/**
 * The item order of one epoch: the Fisher–Yates shuffle of [0, size) driven by `rng(seed, epoch)`
 * (PCG32 with the epoch as stream). A function of (size, seed, epoch) alone, so a run resumed at
 * epoch e sees exactly the batches it would have seen.
 */
export function epochOrder(size: number, seed: number, epoch: number): Int32Array {
  requireInteger("epochOrder", "size", size, 0);
  requireInteger("epochOrder", "seed", seed, 0);
  requireInteger("epochOrder", "epoch", epoch, 0);
  return rng(seed, epoch).shuffle(identity(size));
}

/**
 * Cuts one epoch of `ds` into batches. Batch b holds the items at positions
 * [b * batchSize, min((b + 1) * batchSize, size)) of the epoch order: the dataset order, or
 * `epochOrder(size, seed, epoch)` with `shuffle`.
 *
 * Each batch's rows are copied into fresh typed arrays (a memcpy per row) and wrapped in new tensors.
 * The arrays are not reused across batches on purpose: tfjs's cpu and webgl backends keep a
 * reference to the array a tensor is made from, so refilling a shared buffer would silently change
 * batches the caller still holds. The caller owns `x` and `y` and must dispose them (or create them
 * inside `tf.tidy`), e.g.
 *
 *   for (const batch of batches(train, { batchSize: 128, shuffle: true, seed: 1, epoch })) {
 *     optimizer.minimize(() => loss(model.apply(batch.x), batch.y));
 *     tf.dispose([batch.x, batch.y]);
 *   }
 *
 * Options are checked when `batches` is called, not at the first batch.
 */
export function batches(ds: Dataset, options: BatchesOptions): Generator<DataBatch, void, undefined> {
  const where = "batches";
  if (typeof options !== "object" || options === null) fail(where, "options", "an object with at least batchSize", options);
  requireKnownKeys(where, options, ["batchSize", "shuffle", "seed", "epoch", "dropLast", "oneHot", "startBatch"]);
  const batchSize = requireInteger(where, "batchSize", options.batchSize, 1);
  const shuffle = requireBoolean(where, "shuffle", options.shuffle ?? false);
  const seed = requireInteger(where, "seed", options.seed ?? 0, 0);
  const epoch = requireInteger(where, "epoch", options.epoch ?? 0, 0);
  const dropLast = requireBoolean(where, "dropLast", options.dropLast ?? false);
  const oneHot = requireBoolean(where, "oneHot", options.oneHot ?? false);
  const count = batchCount(ds.size, batchSize, dropLast);
  const startBatch = requireInteger(where, "startBatch", options.startBatch ?? 0, 0, count);
  if (oneHot && (ds.numClasses === undefined || !(ds.y instanceof Int32Array) || ds.yShape.length !== 0)) {
    throw new Error(`${where}: oneHot needs class labels (y: Int32Array, yShape: [], numClasses set); this dataset has none`);
  }
  const order = shuffle ? epochOrder(ds.size, seed, epoch) : undefined;
  return generate(ds, { batchSize, count, startBatch, oneHot, order });
}

function* generate(
  ds: Dataset,
  plan: { batchSize: number; count: number; startBatch: number; oneHot: boolean; order: Int32Array | undefined },
): Generator<DataBatch, void, undefined> {
  const { batchSize, count, order } = plan;
  const xLength = itemLength(ds.xShape);
  const yLength = itemLength(ds.yShape);
  const numClasses = ds.numClasses ?? 0;
  for (let index = plan.startBatch; index < count; index++) {
    const start = index * batchSize;
    const size = Math.min(batchSize, ds.size - start);
    let x: Float32Array;
    let labels: Float32Array | Int32Array;
    if (order === undefined) {
      // Contiguous rows: one copy each for x and y.
      x = ds.x.slice(start * xLength, (start + size) * xLength);
      labels = ds.y.slice(start * yLength, (start + size) * yLength);
    } else {
      x = new Float32Array(size * xLength);
      labels = ds.y instanceof Int32Array ? new Int32Array(size * yLength) : new Float32Array(size * yLength);
      gatherRows(ds.x, x, order, size, xLength, start);
      gatherRows<Float32Array | Int32Array>(ds.y, labels, order, size, yLength, start);
    }
    let y: tf.Tensor;
    if (plan.oneHot) {
      const rows = new Float32Array(size * numClasses);
      for (let k = 0; k < size; k++) rows[k * numClasses + labels[k]] = 1;
      y = tf.tensor(rows, [size, numClasses], "float32");
    } else {
      y = tf.tensor(labels, [size, ...ds.yShape], labels instanceof Int32Array ? "int32" : "float32");
    }
    yield { x: tf.tensor(x, [size, ...ds.xShape], "float32"), y, size, index };
  }
}
