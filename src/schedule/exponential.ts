import { makeSchedule, type Schedule } from "./schedule";
import { checkOptionNames, numberOption } from "./options";

export interface ExponentialOptions {
  readonly lr: number;
  /** Multiplier per step (> 0). */
  readonly gamma: number;
}

/** Decay by `gamma` every step (PyTorch `ExponentialLR`): `lr(t) = lr * gamma^t`. */
export function exponential(options: ExponentialOptions): Schedule {
  const kind = "exponential";
  checkOptionNames(kind, options, ["lr", "gamma"]);
  const lr = numberOption(kind, "lr", options.lr, { min: 0 });
  const gamma = numberOption(kind, "gamma", options.gamma, { min: 0, minOpen: true });
  return makeSchedule({ kind, options: { lr, gamma } }, (t) => lr * gamma ** t);
}
