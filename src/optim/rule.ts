/**
 * An update rule is one optimization algorithm, written once: given a parameter, its (already clipped
 * and L2-decayed) gradient, the parameter's state slots and the hyperparameters in force, it returns
 * the new parameter value and the new slots. Everything around it — clipping, weight decay, EMA — is a
 * stage of its own (src/optim/stages), and parameter groups, schedules, accumulation and state saving
 * are the Optimizer's, so they compose with every rule.
 */
import * as tf from "@tensorflow/tfjs";

export type Slots = Record<string, tf.Tensor>;
/** Per-parameter scalars kept in JavaScript doubles (e.g. NAdam's running product of momentum factors). */
export type Counters = Record<string, number>;
/** Hyperparameter values in force for this update, by name. */
export type HyperValues = Readonly<Record<string, number>>;

export interface UpdateInput {
  param: tf.Tensor;
  grad: tf.Tensor;
  /** The parameter's state; a slot the rule has not created yet is absent. */
  slots: Readonly<Slots>;
  counters: Readonly<Counters>;
  hyper: HyperValues;
  /** 1-based count of updates of this parameter, this one included (PyTorch's `state["step"]`). */
  step: number;
}

export interface UpdateOutput {
  param: tf.Tensor;
  /** The full new state: slots left out are dropped. */
  slots: Slots;
  counters?: Counters;
}

export interface HyperparameterSpec {
  /** PyTorch's default; `undefined` means the option is required. */
  default: number | undefined;
  /** Checks one value (an option, a live change, or what a schedule produced) and returns an error text or undefined. */
  check: (value: number) => string | undefined;
}

export interface UpdateRule {
  /** The algorithm's name as saved in configs, e.g. "adam". */
  readonly name: string;
  /** Rule-specific hyperparameters (everything but lr and weight decay), each schedulable. */
  readonly hyperparameters: Readonly<Record<string, HyperparameterSpec>>;
  /** Structural choices fixed for the optimizer's life (amsgrad, nesterov, centered, …), saved with the config. */
  readonly flags: Readonly<Record<string, boolean | number>>;
  /** The parameter's initial slots (those the algorithm needs from the first step). */
  initSlots(param: tf.Tensor): Slots;
  initCounters?(): Counters;
  update(input: UpdateInput): UpdateOutput;
  /**
   * The weights to evaluate at, when they differ from the trained parameter: Schedule-Free's average x,
   * computed from the parameter y and the slots. Swapped in by `withAveragedWeights`; absent: the parameter.
   */
  evaluationParam?(param: tf.Tensor, slots: Readonly<Slots>, hyper: HyperValues): tf.Tensor;
}

/** Hyperparameter checks, shared by the rules. */
export const check = {
  unit: (v: number) => (v >= 0 && v < 1 ? undefined : "in [0, 1)"),
  nonNegative: (v: number) => (v >= 0 ? undefined : ">= 0"),
  positive: (v: number) => (v > 0 ? undefined : "> 0"),
  any: () => undefined,
};
