import { makeSchedule, type Schedule } from "./schedule";
import { requireInteger, requireKnownKeys, requireNumber } from "../util/validate";

export interface LinearOptions {
  /** Base value that the factors multiply. */
  readonly lr: number;
  /** Factor at step 0 (>= 0). */
  readonly startFactor: number;
  /** Factor from `totalSteps` on (>= 0); default 1. */
  readonly endFactor?: number;
  /** Steps over which the factor moves from `startFactor` to `endFactor` (integer >= 1). */
  readonly totalSteps: number;
}

/**
 * Linear change of a multiplicative factor, then constant (PyTorch `LinearLR`):
 *
 *     lr(t) = lr * (startFactor + (endFactor - startFactor) * min(t, totalSteps) / totalSteps)
 */
export function linear(options: LinearOptions): Schedule {
  const kind = "linear";
  requireKnownKeys(kind, options, ["lr", "startFactor", "endFactor", "totalSteps"]);
  const lr = requireNumber(kind, "lr", options.lr, { min: 0 });
  const startFactor = requireNumber(kind, "startFactor", options.startFactor, { min: 0 });
  const endFactor = requireNumber(kind, "endFactor", options.endFactor ?? 1, { min: 0 });
  const totalSteps = requireInteger(kind, "totalSteps", options.totalSteps, 1);
  return makeSchedule(
    { kind, options: { lr, startFactor, endFactor, totalSteps } },
    (t) => lr * (startFactor + ((endFactor - startFactor) * Math.min(t, totalSteps)) / totalSteps),
  );
}
