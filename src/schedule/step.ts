import { makeSchedule, type Schedule } from "./schedule";
import { checkOptionNames, integerOption, numberOption } from "./options";

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
  checkOptionNames(kind, options, ["lr", "stepSize", "gamma"]);
  const lr = numberOption(kind, "lr", options.lr, { min: 0 });
  const stepSize = integerOption(kind, "stepSize", options.stepSize, 1);
  const gamma = numberOption(kind, "gamma", options.gamma, { min: 0, minOpen: true }, 0.1);
  return makeSchedule({ kind, options: { lr, stepSize, gamma } }, (t) => lr * gamma ** Math.floor(t / stepSize));
}
