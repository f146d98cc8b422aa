/**
 * A bias-corrected exponential moving average (Adam's first-moment correction; fastai's lr_find smoothing):
 *
 *   a ← β·a + (1 − β)·x        value = a / (1 − βⁿ) after n values
 *
 * so the first values are not pulled towards the initial 0. β = 0 keeps only the last value.
 */
import { requireUnitInterval } from "./validate";

export interface DebiasedAverageState {
  readonly average: number;
  readonly count: number;
}

export class DebiasedAverage {
  private average = 0;
  private count = 0;

  constructor(readonly beta: number) {
    requireUnitInterval("moving average", "beta", beta);
  }

  /** Fold in one value and return the corrected average. */
  add(value: number): number {
    this.count += 1;
    this.average = this.beta * this.average + (1 - this.beta) * value;
    return this.value;
  }

  /** The corrected average; NaN before the first value. */
  get value(): number {
    return this.count === 0 ? Number.NaN : this.average / (1 - Math.pow(this.beta, this.count));
  }

  /** Values folded in so far. */
  get size(): number {
    return this.count;
  }

  state(): DebiasedAverageState {
    return { average: this.average, count: this.count };
  }

  loadState(state: DebiasedAverageState): void {
    this.average = state.average;
    this.count = state.count;
  }
}
