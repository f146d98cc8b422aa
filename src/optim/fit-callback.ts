import * as tf from "@tensorflow/tfjs";

/** What the callback drives: the optimizer's accumulation. */
export interface BatchAware {
  /** The item count of the next `applyGradients` call that gives none. */
  nextBatchSize: number | undefined;
  endEpoch(): void;
}

/**
 * Tells the optimizer each batch's size during model.fit, and ends each epoch with the last-window policy:
 * `fitDataset` puts the size in the batch logs before `onBatchBegin`; `fit` on tensors sets it only
 * afterwards, so it is derived from the fit's parameters (batch i of `samples` in batches of `batchSize`).
 */
export class AccumulationCallback extends tf.Callback {
  constructor(private readonly optimizer: BatchAware) {
    super();
  }

  override async onBatchBegin(batch: number, logs?: tf.Logs): Promise<void> {
    const { samples, batchSize } = this.params as { samples?: unknown; batchSize?: unknown };
    if (typeof logs?.size === "number") this.optimizer.nextBatchSize = logs.size;
    else if (typeof samples === "number" && typeof batchSize === "number") {
      this.optimizer.nextBatchSize = Math.min(batchSize, samples - batch * batchSize);
    } else this.optimizer.nextBatchSize = undefined;
  }

  override async onEpochEnd(): Promise<void> {
    this.optimizer.endEpoch();
  }
}
