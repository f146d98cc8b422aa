/**
 * The learning-rate range test (Smith 2017, "Cyclical Learning Rates", §3.3; fastai's lr_find): raise the
 * learning rate exponentially from `minLr` to `maxLr` over `steps` updates, record the smoothed loss, stop
 * once it exceeds `divergeFactor` × its minimum, and restore the initial weights. Suggested rates: where the
 * smoothed loss falls fastest (steepest negative slope in log lr over a few points, skipping the first tenth
 * and the last points, whose smoothing is unreliable, as fastai does), and a tenth of the rate at the minimum.
 */
import { Optimizer } from "../optim";
import { exponential } from "../schedule";
import { fit } from "../train/fit";
import { LossFunction, LossName } from "../train/loss";
import { DataInput } from "../train/sources";
import { TrainTarget } from "../train/target";
import { fromSameStart, withOwnOptimizer } from "./restore";
import { DebiasedAverage } from "../util/moving-average";
import type { Hyperparameter } from "../optim";
import { requireInteger, requireUnitInterval } from "../util/validate";

export interface LrRangeTestOptions {
  target: TrainTarget;
  data: DataInput;
  loss?: LossName | LossFunction;
  /** A fresh optimizer with this learning rate (a schedule), e.g. `(lr) => sgd({ lr, momentum: 0.9 })`; disposed after the test. */
  optimizer: (lr: Hyperparameter) => Optimizer;
  minLr?: number;
  maxLr?: number;
  steps?: number;
  batchSize?: number;
  seed?: number;
  smoothing?: number;
  divergeFactor?: number;
}

export interface LrRangeTestResult {
  lrs: number[];
  losses: number[];
  smoothed: number[];
  /** The rate where the smoothed loss falls fastest. */
  steepest: number;
  /** A tenth of the rate with the lowest smoothed loss. */
  minimumTenth: number;
}

export async function lrRangeTest(options: LrRangeTestOptions): Promise<LrRangeTestResult> {
  const minLr = options.minLr ?? 1e-7;
  const maxLr = options.maxLr ?? 10;
  const steps = options.steps ?? 100;
  if (!(minLr > 0 && maxLr > minLr)) throw new Error(`lrRangeTest: need 0 < minLr < maxLr, got minLr ${minLr}, maxLr ${maxLr}`);
  requireInteger("lrRangeTest", "steps", steps, 2);
  const smoothing = requireUnitInterval("lrRangeTest", "smoothing", options.smoothing ?? 0.98);
  const divergeFactor = options.divergeFactor ?? 4;
  const schedule = exponential({ lr: minLr, gamma: Math.pow(maxLr / minLr, 1 / (steps - 1)) });
  const [result] = await fromSameStart(options.target, 1, async () => {
    const lrs: number[] = [];
    const losses: number[] = [];
    const smoothed: number[] = [];
    const smoother = new DebiasedAverage(smoothing);
    let best = Infinity;
    const batchSize = options.batchSize ?? 32;
    const source = options.data;
    await withOwnOptimizer(options.optimizer(schedule), (optimizer) =>
      fit(options.target, {
        optimizer,
        data: source,
        loss: options.loss,
        epochs: Number.MAX_SAFE_INTEGER,
        batchSize,
        seed: options.seed ?? 0,
        onDivergence: "stop",
        progress: "none",
        callbacks: {
          onStep(record) {
            lrs.push(record.lr);
            losses.push(record.loss);
            const value = smoother.add(record.loss);
            smoothed.push(value);
            best = Math.min(best, value);
            return lrs.length >= steps || value > divergeFactor * best ? "stop" : undefined;
          },
        },
      }),
    );
    return { lrs, losses, smoothed };
  });
  const { lrs, smoothed } = result;
  // slopes over a window of ±h points, so batch-to-batch noise left after smoothing does not decide
  const h = Math.max(1, Math.floor(smoothed.length / 20));
  const first = Math.max(h, Math.floor(smoothed.length / 10));
  const last = Math.max(first + 1, smoothed.length - Math.max(5, h));
  let steepestAt = Math.min(first, smoothed.length - 1);
  let steepestSlope = Infinity;
  for (let i = first; i < last && i + h < smoothed.length; i++) {
    const slope = (smoothed[i + h] - smoothed[i - h]) / (Math.log(lrs[i + h]) - Math.log(lrs[i - h]));
    if (slope < steepestSlope) {
      steepestSlope = slope;
      steepestAt = i;
    }
  }
  const minimumAt = smoothed.indexOf(Math.min(...smoothed));
  return { ...result, steepest: lrs[steepestAt], minimumTenth: lrs[minimumAt] / 10 };
}
