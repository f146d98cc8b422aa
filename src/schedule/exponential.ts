import { makeSchedule, type Schedule } from "./schedule";
import { requireKnownKeys, requireNumber } from "../util/validate";

export interface ExponentialOptions {
  readonly lr: number;
  /** Multiplier per step (> 0). */
  readonly gamma: number;
}

/** Decay by `gamma` every step (PyTorch `ExponentialLR`): `lr(t) = lr * gamma^t`. */
export function exponential(options: ExponentialOptions): Schedule {
  const kind = "exponential";
  requireKnownKeys(kind, options, ["lr", "gamma"]);
  const lr = requireNumber(kind, "lr", options.lr, { min: 0 });
  const gamma = requireNumber(kind, "gamma", options.gamma, { min: 0, minOpen: true });
  return makeSchedule({ kind, options: { lr, gamma } }, (t) => lr * gamma ** t);
}
