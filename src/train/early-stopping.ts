/**
 * Early stopping: stop when the monitored quantity has not improved by more than `minDelta` for
 * `patience` epochs; optionally put back the weights of the best epoch (as Keras's EarlyStopping).
 */
import * as tf from "@tensorflow/tfjs";
import { Trainable } from "./target";
import { EpochRecord } from "./types";
import { requireBoolean, requireInteger, requireNonNegative, requireOneOf } from "../util/validate";

export type Monitor = "loss" | "valLoss" | "accuracy" | "valAccuracy";

export interface EarlyStoppingOptions {
  /** Default "valLoss" when there is validation data, else "loss". */
  monitor?: Monitor;
  /** Epochs without improvement before stopping; default 3. */
  patience?: number;
  /** Smallest change that counts as an improvement; default 0. */
  minDelta?: number;
  /** Restore the best epoch's weights when stopping or finishing; default true. */
  restoreBestWeights?: boolean;
}

export class EarlyStopping {
  readonly monitor: Monitor;
  private readonly patience: number;
  private readonly minDelta: number;
  private readonly restoreBest: boolean;
  private best = Number.NaN;
  private bestEpoch = -1;
  private wait = 0;
  private bestWeights: tf.Tensor[] | undefined;

  constructor(options: EarlyStoppingOptions, hasValidation: boolean) {
    this.monitor = requireOneOf("earlyStopping", "monitor", options.monitor ?? (hasValidation ? "valLoss" : "loss"), ["loss", "valLoss", "accuracy", "valAccuracy"]);
    if (this.monitor.startsWith("val") && !hasValidation) throw new Error(`earlyStopping: monitor "${this.monitor}" needs validation data`);
    this.patience = requireInteger("earlyStopping", "patience", options.patience ?? 3, 0);
    this.minDelta = requireNonNegative("earlyStopping", "minDelta", options.minDelta ?? 0);
    this.restoreBest = requireBoolean("earlyStopping", "restoreBestWeights", options.restoreBestWeights ?? true);
  }

  /** Record an epoch; says whether to stop now. */
  update(record: EpochRecord, trainable: Trainable): { stop: boolean; bestEpoch: number; best: number } {
    const value = record[this.monitor];
    if (value === undefined) throw new Error(`earlyStopping: epoch ${record.epoch} has no ${this.monitor} (no accuracy for this task?)`);
    const higherIsBetter = this.monitor.endsWith("ccuracy");
    const improved = this.bestEpoch < 0 || (higherIsBetter ? value - this.best > this.minDelta : this.best - value > this.minDelta);
    if (improved) {
      this.best = value;
      this.bestEpoch = record.epoch;
      this.wait = 0;
      if (this.restoreBest) {
        tf.dispose(this.bestWeights);
        this.bestWeights = trainable.snapshot();
      }
    } else {
      this.wait += 1;
    }
    return { stop: !improved && this.wait >= this.patience, bestEpoch: this.bestEpoch, best: this.best };
  }

  /** At the end of training: put back the best weights, if asked. */
  finish(trainable: Trainable): void {
    if (this.restoreBest && this.bestWeights) trainable.restore(this.bestWeights);
  }

  dispose(): void {
    tf.dispose(this.bestWeights);
    this.bestWeights = undefined;
  }
}
