import { isSchedule, makeSchedule, type Schedule } from "./schedule";
import { describeValue, requireInteger, requireKnownKeys, requireNumber } from "../util/validate";

export interface LinearWarmupOptions {
  /** Warm-up length in steps (integer >= 0; 0 means no warm-up). */
  readonly steps: number;
  /** Fraction of `after(0)` at step 0 (>= 0); default 0. */
  readonly startFactor?: number;
}

/**
 * Linear warm-up in front of any schedule; `after` starts counting its steps when the warm-up ends:
 *
 *     lr(t) = after(0) * (startFactor + (1 - startFactor) * t / steps)   for t < steps
 *     lr(t) = after(t - steps)                                           otherwise
 *
 * Equals PyTorch `SequentialLR([LinearLR(start_factor, 1, steps), X], milestones=[steps])`.
 */
export function linearWarmup(options: LinearWarmupOptions, after: Schedule): Schedule {
  const kind = "linearWarmup";
  requireKnownKeys(kind, options, ["steps", "startFactor"]);
  const steps = requireInteger(kind, "steps", options.steps, 0);
  const startFactor = requireNumber(kind, "startFactor", options.startFactor ?? 0, { min: 0 });
  if (!isSchedule(after)) {
    throw new Error(`${kind}: after must be a Schedule made by a schedule factory, got ${describeValue(after)}`);
  }
  return makeSchedule({ kind, options: { steps, startFactor, after: after.spec } }, (t) =>
    t < steps ? after(0) * (startFactor + ((1 - startFactor) * t) / steps) : after(t - steps),
  );
}
