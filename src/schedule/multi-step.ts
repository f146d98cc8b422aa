import { makeSchedule, type Schedule } from "./schedule";
import { checkOptionNames, increasingIntegersOption, numberOption } from "./options";
import { countAtOrBelow } from "./milestones";

export interface MultiStepOptions {
  readonly lr: number;
  /** Steps at which the value is multiplied by `gamma` (strictly increasing integers >= 1). */
  readonly milestones: readonly number[];
  /** Multiplier applied at each milestone (> 0); default 0.1. */
  readonly gamma?: number;
}

/**
 * Decay by `gamma` at each milestone (PyTorch `MultiStepLR`):
 *
 *     lr(t) = lr * gamma^(number of milestones <= t)
 */
export function multiStep(options: MultiStepOptions): Schedule {
  const kind = "multiStep";
  checkOptionNames(kind, options, ["lr", "milestones", "gamma"]);
  const lr = numberOption(kind, "lr", options.lr, { min: 0 });
  const milestones = increasingIntegersOption(kind, "milestones", options.milestones, 1);
  const gamma = numberOption(kind, "gamma", options.gamma, { min: 0, minOpen: true }, 0.1);
  return makeSchedule({ kind, options: { lr, milestones, gamma } }, (t) => lr * gamma ** countAtOrBelow(milestones, t));
}

