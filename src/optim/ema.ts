/**
 * An exponential moving average of the weights (Polyak averaging; Keras 3's `use_ema`), updated once per
 * optimizer update and swapped into the model for evaluation:
 *
 *   θ̄ ← θ                         after a parameter's first update
 *   θ̄ ← d·θ̄ + (1 − d)·θ           afterwards
 */
import * as tf from "@tensorflow/tfjs";
import { requireUnitInterval } from "./validate";

export interface EmaOptions {
  /** The weight of the past, e.g. 0.999. */
  decay: number;
}

export class WeightAverage {
  readonly decay: number;
  private readonly shadows = new Map<string, tf.Tensor>();
  private swapped = false;

  constructor(options: EmaOptions) {
    if (options === null || typeof options !== "object") throw new Error("ema: expected an object like { decay: 0.999 }");
    this.decay = requireUnitInterval("ema", "decay", options.decay);
  }

  /** Fold the current value of `variable` into its average; call after the variable's update. */
  update(name: string, variable: tf.Variable): void {
    if (this.swapped) throw new Error("ema: the averaged weights are swapped in; swap them back before training");
    const shadow = this.shadows.get(name);
    // kept: this runs inside the optimizer's tidy, which would otherwise dispose the new average
    const next = tf.keep(tf.tidy(() => (shadow ? shadow.mul(this.decay).add(variable.mul(1 - this.decay)) : variable.clone())));
    shadow?.dispose();
    this.shadows.set(name, next);
  }

  get isSwapped(): boolean {
    return this.swapped;
  }

  /** Exchange every averaged variable's value with its average (call again to swap back). */
  swap(variables: (name: string) => tf.Variable): void {
    for (const [name, shadow] of this.shadows) {
      const variable = variables(name);
      const current = variable.clone();
      variable.assign(shadow);
      shadow.dispose();
      this.shadows.set(name, current);
    }
    this.swapped = !this.swapped;
  }

  entries(): IterableIterator<[string, tf.Tensor]> {
    return this.shadows.entries();
  }

  set(name: string, value: tf.Tensor): void {
    this.shadows.get(name)?.dispose();
    this.shadows.set(name, value);
  }

  /** Move an average to another variable name (state loaded for a renamed variable). */
  rename(from: string, to: string): void {
    const shadow = this.shadows.get(from);
    if (!shadow || from === to) return;
    this.shadows.get(to)?.dispose();
    this.shadows.delete(from);
    this.shadows.set(to, shadow);
  }

  dispose(): void {
    for (const shadow of this.shadows.values()) shadow.dispose();
    this.shadows.clear();
  }
}
