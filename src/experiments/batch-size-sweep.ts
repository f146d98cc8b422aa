/**
 * Batch-size sweep (Shallue et al. 2018; McCandlish et al. 2018): for each batch size, train from the same
 * initial weights until the smoothed training loss reaches a target, and report the optimizer steps, the
 * samples seen and the wall time it took. Steps fall almost linearly with batch size up to the critical
 * batch size, then flatten; divergent runs are reported, not thrown.
 */
import { Optimizer } from "../optim";
import { fit } from "../train/fit";
import { LossFunction, LossName } from "../train/loss";
import { DataInput } from "../train/sources";
import { TrainTarget } from "../train/target";
import { fromSameStart, withOwnOptimizer } from "./restore";
import { DebiasedAverage } from "../util/moving-average";
import { fail, requireFinite, requireUnitInterval } from "../util/validate";

export interface BatchSizeSweepOptions {
  target: TrainTarget;
  data: DataInput;
  loss?: LossName | LossFunction;
  batchSizes: number[];
  /** A fresh optimizer for a batch size (e.g. a learning rate scaled with it), disposed after its run. */
  optimizer: (batchSize: number) => Optimizer;
  /** Stop when the smoothed training loss is at or below this. */
  targetLoss: number;
  maxEpochs: number;
  seed?: number;
  /** Smoothing of the step losses (EMA weight of the past); default 0.9. */
  smoothing?: number;
}

export interface BatchSizePoint {
  batchSize: number;
  reached: boolean;
  diverged: boolean;
  /** Optimizer steps until the target (or until the run ended). */
  steps: number;
  samples: number;
  seconds: number;
  finalLoss: number;
}

export async function batchSizeSweep(options: BatchSizeSweepOptions): Promise<BatchSizePoint[]> {
  const { batchSizes, targetLoss, maxEpochs } = options;
  if (!Array.isArray(batchSizes) || batchSizes.length === 0 || !batchSizes.every((b) => Number.isSafeInteger(b) && b >= 1)) {
    fail("batchSizeSweep", "batchSizes", "a non-empty list of integers >= 1", batchSizes);
  }
  requireFinite("batchSizeSweep", "targetLoss", targetLoss);
  const smoothing = requireUnitInterval("batchSizeSweep", "smoothing", options.smoothing ?? 0.9);
  return fromSameStart(options.target, batchSizes.length, async (run) => {
    const batchSize = batchSizes[run];
    const smoothed = new DebiasedAverage(smoothing);
    let samples = 0;
    let reached = false;
    const started = performance.now();
    const history = await withOwnOptimizer(options.optimizer(batchSize), (optimizer) =>
      fit(options.target, {
        optimizer,
        data: options.data,
        loss: options.loss,
        epochs: maxEpochs,
        batchSize,
        seed: options.seed ?? 0,
        onDivergence: "stop",
        progress: "none",
        callbacks: {
          onStep(record) {
            samples += record.items;
            if (smoothed.add(record.loss) <= targetLoss) {
              reached = true;
              return "stop";
            }
            return undefined;
          },
        },
      }),
    );
    return {
      batchSize,
      reached,
      diverged: history.diverged !== undefined,
      steps: history.steps.length,
      samples,
      seconds: (performance.now() - started) / 1000,
      finalLoss: smoothed.value,
    };
  });
}
