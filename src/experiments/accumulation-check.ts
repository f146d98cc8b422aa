/**
 * The accumulation equivalence check: from the same initial weights, `updates` optimizer updates with
 * batches of k·b, and the same number with k accumulated micro-batches of b over the same items. Without
 * BatchNorm (whose statistics are per micro-batch) the parameters agree to float32 rounding.
 */
import * as tf from "@tensorflow/tfjs";
import { AccumulateOptions, Optimizer } from "../optim";
import { fit } from "../train/fit";
import { LossFunction, LossName } from "../train/loss";
import { DataInput } from "../train/sources";
import { TrainTarget, trainableOf } from "../train/target";
import { fromSameStart, withOwnOptimizer } from "./restore";
import { requireInteger } from "../util/validate";

export interface AccumulationCheckOptions {
  target: TrainTarget;
  data: DataInput;
  loss?: LossName | LossFunction;
  /** A fresh optimizer with the given accumulation (undefined: none), disposed after its run. */
  optimizer: (accumulate: AccumulateOptions | undefined) => Optimizer;
  microBatchSize: number;
  steps: number;
  epochs?: number;
}

export interface AccumulationCheckResult {
  /** The largest |a − b| / max(1, |b|) over all parameters. */
  maxRelativeDifference: number;
  largeBatchLosses: number[];
  accumulatedLosses: number[];
}

export async function accumulationCheck(options: AccumulationCheckOptions): Promise<AccumulationCheckResult> {
  const { microBatchSize: b, steps: k } = options;
  requireInteger("accumulationCheck", "microBatchSize", b, 1);
  requireInteger("accumulationCheck", "steps", k, 1);
  const trainable = trainableOf(options.target, () => tf.scalar(0));
  const runs = await fromSameStart(options.target, 2, async (run) => {
    const history = await withOwnOptimizer(options.optimizer(run === 0 ? undefined : { steps: k, lastWindow: "rescale" }), (optimizer) =>
      fit(options.target, {
        optimizer,
        data: options.data,
        loss: options.loss,
        epochs: options.epochs ?? 1,
        batchSize: run === 0 ? k * b : b,
        shuffle: false,
        progress: "none",
      }),
    );
    return { losses: history.steps.map((s) => s.loss), weights: trainable.variables.map((v) => v.dataSync().slice()) };
  });
  let worst = 0;
  runs[1].weights.forEach((values, i) =>
    values.forEach((v, j) => {
      const w = runs[0].weights[i][j];
      worst = Math.max(worst, Math.abs(v - w) / Math.max(1, Math.abs(w)));
    }),
  );
  return { maxRelativeDifference: worst, largeBatchLosses: runs[0].losses, accumulatedLosses: runs[1].losses };
}
