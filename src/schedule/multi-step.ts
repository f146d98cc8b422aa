import { makeSchedule, type Schedule } from "./schedule";
import { countAtOrBelow } from "./milestones";
import { requireIncreasingIntegers, requireKnownKeys, requireNumber } from "../util/validate";

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
  requireKnownKeys(kind, options, ["lr", "milestones", "gamma"]);
  const lr = requireNumber(kind, "lr", options.lr, { min: 0 });
  const milestones = requireIncreasingIntegers(kind, "milestones", options.milestones, 1);
  const gamma = requireNumber(kind, "gamma", options.gamma ?? 0.1, { min: 0, minOpen: true });
  return makeSchedule({ kind, options: { lr, milestones, gamma } }, (t) => lr * gamma ** countAtOrBelow(milestones, t));
}

