import * as tf from "@tensorflow/tfjs";
import { TrainTarget, trainableOf } from "../train/target";

/**
 * Run `body` once per configuration from the same initial weights: the target's weights are snapshotted
 * first and put back before each run and at the end, so every run starts where the first did.
 */
export async function fromSameStart<T>(target: TrainTarget, runs: number, body: (run: number) => Promise<T>): Promise<T[]> {
  const trainable = trainableOf(target, () => tf.scalar(0)); // the loss is not used for snapshots
  const initial = trainable.snapshot();
  const results: T[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      trainable.restore(initial);
      results.push(await body(run));
    }
  } finally {
    trainable.restore(initial);
    tf.dispose(initial);
  }
  return results;
}

/**
 * Run `body` with an optimizer made for this run (by the caller's factory) and free its state (moments,
 * accumulation sums) afterwards, however the run ends: an experiment owns the optimizers it makes, and a
 * sweep of many runs would otherwise leave every run's state behind.
 */
export async function withOwnOptimizer<O extends { dispose(): void }, T>(optimizer: O, body: (optimizer: O) => Promise<T>): Promise<T> {
  try {
    return await body(optimizer);
  } finally {
    optimizer.dispose();
  }
}
