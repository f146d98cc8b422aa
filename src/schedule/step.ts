import { makeSchedule, type Schedule } from "./schedule";
import { requireInteger, requireKnownKeys, requireNumber } from "../util/validate";

export interface StepOptions {
  readonly lr: number;
  /** Steps between decays (integer >= 1). */
  readonly stepSize: number;
  /** Multiplier applied every `stepSize` steps (> 0); default 0.1. */
  readonly gamma?: number;
}

/** Decay by `gamma` every `stepSize` steps (PyTorch `StepLR`): `lr(t) = lr * gamma^floor(t / stepSize)`. */
export function step(options: StepOptions): Schedule {
  const kind = "step";
  requireKnownKeys(kind, options, ["lr", "stepSize", "gamma"]);
  const lr = requireNumber(kind, "lr", options.lr, { min: 0 });
  const stepSize = requireInteger(kind, "stepSize", options.stepSize, 1);
  const gamma = requireNumber(kind, "gamma", options.gamma ?? 0.1, { min: 0, minOpen: true });
  return makeSchedule({ kind, options: { lr, stepSize, gamma } }, (t) => lr * gamma ** Math.floor(t / stepSize));
}
