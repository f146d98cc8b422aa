/**
 * Optimizer comparison: the same model, data, batches and initial weights for every optimizer, so the
 * histories differ only by the update rule and its settings.
 */
import { Optimizer } from "../optim";
import { fit } from "../train/fit";
import { LossFunction, LossName } from "../train/loss";
import { DataInput } from "../train/sources";
import { TrainTarget } from "../train/target";
import { History } from "../train/types";
import { fromSameStart, withOwnOptimizer } from "./restore";

export interface CompareOptimizersOptions {
  target: TrainTarget;
  data: DataInput;
  validation?: DataInput;
  loss?: LossName | LossFunction;
  /** Name → a fresh optimizer, made for its run and disposed after it. */
  optimizers: Record<string, () => Optimizer>;
  epochs: number;
  batchSize?: number | "full";
  seed?: number;
}

export interface OptimizerRun {
  name: string;
  history: History;
  seconds: number;
}

export async function compareOptimizers(options: CompareOptimizersOptions): Promise<OptimizerRun[]> {
  const entries = Object.entries(options.optimizers ?? {});
  if (entries.length === 0) throw new Error("compareOptimizers: optimizers must name at least one optimizer factory");
  return fromSameStart(options.target, entries.length, async (run) => {
    const [name, make] = entries[run];
    const started = performance.now();
    const history = await withOwnOptimizer(make(), (optimizer) =>
      fit(options.target, {
        optimizer,
        data: options.data,
        validation: options.validation,
        loss: options.loss,
        epochs: options.epochs,
        batchSize: options.batchSize,
        seed: options.seed ?? 0,
        onDivergence: "stop",
        progress: "none",
      }),
    );
    return { name, history, seconds: (performance.now() - started) / 1000 };
  });
}
