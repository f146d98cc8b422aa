/**
 * Early stopping: stop when the monitored quantity has not improved by more than `minDelta` for
 * `patience` epochs; optionally put back the weights of the best epoch (as Keras's EarlyStopping).
 *
 * An accuracy moves in steps of one example, so epochs can tie on it exactly. Keras keeps the first of
 * equals; with `tieBreak`, an epoch equal to the best on the monitored quantity and better on the
 * tie-break one (e.g. the held-out loss under the held-out accuracy) becomes the best.
 *
 * With `restoreMargin`, the last epoch's weights are kept when the best epoch beats them by no more than the
 * margin. Under a planned, decaying schedule the last epochs are the most annealed, and a best epoch that is
 * better by less than the monitored quantity's noise (a held-out accuracy's standard error) is better by
 * chance: restoring it would give up the annealing for nothing.
 */
import * as tf from "@tensorflow/tfjs";
import { EncodedTensor, decodeTensor, encodeTensor } from "../tensor";
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
  /** Among epochs exactly equal on `monitor`, the better on this quantity is the best; default none: the first of equals. */
  tieBreak?: Monitor;
  /**
   * With restoreBestWeights: keep the last epoch's weights when the best epoch beats them on `monitor` by no
   * more than this (≥ 0); default none: the best epoch's weights are always put back.
   */
  restoreMargin?: number;
}

const MONITORS: readonly Monitor[] = ["loss", "valLoss", "accuracy", "valAccuracy"];

/** A number that JSON keeps: finite as it is, NaN and ±Infinity as their names. */
type JsonNumber = number | "NaN" | "Infinity" | "-Infinity";

/** Where early stopping stands after an epoch, for a checkpoint: a resumed run continues from it. */
export interface EarlyStoppingState {
  monitor: Monitor;
  best: JsonNumber;
  bestTieValue: JsonNumber;
  bestEpoch: number;
  wait: number;
  last: { epoch: number; value: JsonNumber } | undefined;
  /** The best epoch's weights, where they are kept for restoring. */
  bestWeights: EncodedTensor[] | undefined;
}

const toJson = (x: number): JsonNumber => (Number.isFinite(x) ? x : (String(x) as JsonNumber));
const fromJson = (x: JsonNumber): number => (typeof x === "number" ? x : Number(x));

const higherIsBetter = (monitor: Monitor): boolean => monitor.endsWith("ccuracy");

export class EarlyStopping {
  readonly monitor: Monitor;
  private readonly patience: number;
  private readonly minDelta: number;
  private readonly restoreBest: boolean;
  private readonly tieBreak: Monitor | undefined;
  private readonly restoreMargin: number | undefined;
  private best = Number.NaN;
  private last: { epoch: number; value: number } | undefined;
  private bestTieValue = Number.NaN;
  private bestEpoch = -1;
  private wait = 0;
  private bestWeights: tf.Tensor[] | undefined;

  constructor(options: EarlyStoppingOptions, hasValidation: boolean) {
    this.monitor = requireOneOf("earlyStopping", "monitor", options.monitor ?? (hasValidation ? "valLoss" : "loss"), MONITORS);
    if (this.monitor.startsWith("val") && !hasValidation) throw new Error(`earlyStopping: monitor "${this.monitor}" needs validation data`);
    this.tieBreak = options.tieBreak === undefined ? undefined : requireOneOf("earlyStopping", "tieBreak", options.tieBreak, MONITORS);
    if (this.tieBreak === this.monitor) throw new Error(`earlyStopping: tieBreak must be another quantity than monitor ("${this.monitor}")`);
    if (this.tieBreak?.startsWith("val") && !hasValidation) throw new Error(`earlyStopping: tieBreak "${this.tieBreak}" needs validation data`);
    this.patience = requireInteger("earlyStopping", "patience", options.patience ?? 3, 0);
    this.minDelta = requireNonNegative("earlyStopping", "minDelta", options.minDelta ?? 0);
    this.restoreBest = requireBoolean("earlyStopping", "restoreBestWeights", options.restoreBestWeights ?? true);
    this.restoreMargin = options.restoreMargin === undefined ? undefined : requireNonNegative("earlyStopping", "restoreMargin", options.restoreMargin);
    if (this.restoreMargin !== undefined && !this.restoreBest) throw new Error("earlyStopping: restoreMargin needs restoreBestWeights: true (it chooses between the best and the last epoch's weights)");
  }

  /** Record an epoch; says whether to stop now. */
  update(record: EpochRecord, trainable: Trainable): { stop: boolean; bestEpoch: number; best: number } {
    const value = valueOf(record, this.monitor);
    const tieValue = this.tieBreak === undefined ? Number.NaN : valueOf(record, this.tieBreak);
    this.last = { epoch: record.epoch, value };
    const improved =
      this.bestEpoch < 0 ||
      (higherIsBetter(this.monitor) ? value - this.best > this.minDelta : this.best - value > this.minDelta) ||
      (this.tieBreak !== undefined && value === this.best && (higherIsBetter(this.tieBreak) ? tieValue > this.bestTieValue : tieValue < this.bestTieValue));
    if (improved) {
      this.best = value;
      this.bestTieValue = tieValue;
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

  state(): EarlyStoppingState {
    return {
      monitor: this.monitor,
      best: toJson(this.best),
      bestTieValue: toJson(this.bestTieValue),
      bestEpoch: this.bestEpoch,
      wait: this.wait,
      last: this.last && { epoch: this.last.epoch, value: toJson(this.last.value) },
      bestWeights: this.bestWeights?.map((w) => encodeTensor(w)),
    };
  }

  /** Continue from a checkpoint's state (`where` names the checkpoint in errors). */
  loadState(state: EarlyStoppingState, where: string): void {
    if (state.monitor !== this.monitor) throw new Error(`${where}: its early stopping watched ${state.monitor}, this run's watches ${this.monitor}`);
    if (!Number.isInteger(state.bestEpoch) || state.bestEpoch < -1 || !Number.isInteger(state.wait) || state.wait < 0) {
      throw new Error(`${where}: early stopping's bestEpoch and wait must be integers (≥ -1 and ≥ 0), got ${state.bestEpoch} and ${state.wait}`);
    }
    if (this.restoreBest && state.bestEpoch >= 0 && !state.bestWeights) throw new Error(`${where}: its early stopping kept no best weights, and this run restores them (restoreBestWeights)`);
    const weights: tf.Tensor[] = [];
    try {
      if (this.restoreBest) for (const [i, w] of (state.bestWeights ?? []).entries()) weights.push(decodeTensor(w, `${where}, early stopping's best weight ${i}`));
    } catch (error) {
      tf.dispose(weights);
      throw error;
    }
    tf.dispose(this.bestWeights);
    this.bestWeights = this.restoreBest && state.bestWeights ? weights : undefined;
    this.best = fromJson(state.best);
    this.bestTieValue = fromJson(state.bestTieValue);
    this.bestEpoch = state.bestEpoch;
    this.wait = state.wait;
    this.last = state.last && { epoch: state.last.epoch, value: fromJson(state.last.value) };
  }

  /**
   * At the end of training: put back the best weights, if asked, unless the model holds the last recorded
   * epoch's weights (`atEpochEnd`: the run did not end inside an epoch) and that epoch is the best or within
   * `restoreMargin` of it. Returns the epoch whose weights the model now holds; undefined where that is no
   * recorded epoch's (no epoch ended, or the run ended inside one and nothing was restored).
   */
  finish(trainable: Trainable, atEpochEnd = true): number | undefined {
    const last = this.last;
    const bestWeights = this.restoreBest ? this.bestWeights : undefined;
    if (last && atEpochEnd) {
      const shortfall = higherIsBetter(this.monitor) ? this.best - last.value : last.value - this.best;
      const keepLast = last.epoch === this.bestEpoch || (this.restoreMargin !== undefined && shortfall <= this.restoreMargin);
      if (keepLast || !bestWeights) return last.epoch;
    }
    if (!bestWeights) return undefined;
    trainable.restore(bestWeights);
    return this.bestEpoch;
  }

  dispose(): void {
    tf.dispose(this.bestWeights);
    this.bestWeights = undefined;
  }
}

function valueOf(record: EpochRecord, monitor: Monitor): number {
  const value = record[monitor];
  if (value === undefined) throw new Error(`earlyStopping: epoch ${record.epoch} has no ${monitor} (no accuracy for this task?)`);
  return value;
}
