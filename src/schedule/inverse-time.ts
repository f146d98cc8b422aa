import { makeSchedule, type Schedule } from "./schedule";
import { requireBoolean, requireKnownKeys, requireNumber } from "../util/validate";

export interface InverseTimeOptions {
  readonly lr: number;
  /** Growth of the denominator per `decaySteps` (>= 0). */
  readonly decayRate: number;
  /** Steps per unit of decay (> 0). */
  readonly decaySteps: number;
  /** Decay in whole units of `decaySteps` (a staircase) instead of continuously; default false. */
  readonly staircase?: boolean;
}

/**
 * Inverse-time decay (Keras `InverseTimeDecay`):
 *
 *     p = t / decaySteps            (floor(t / decaySteps) with staircase)
 *     lr(t) = lr / (1 + decayRate * p)
 */
export function inverseTime(options: InverseTimeOptions): Schedule {
  const kind = "inverseTime";
  requireKnownKeys(kind, options, ["lr", "decayRate", "decaySteps", "staircase"]);
  const lr = requireNumber(kind, "lr", options.lr, { min: 0 });
  const decayRate = requireNumber(kind, "decayRate", options.decayRate, { min: 0 });
  const decaySteps = requireNumber(kind, "decaySteps", options.decaySteps, { min: 0, minOpen: true });
  const staircase = requireBoolean(kind, "staircase", options.staircase ?? false);
  return makeSchedule({ kind, options: { lr, decayRate, decaySteps, staircase } }, (t) => {
    const p = staircase ? Math.floor(t / decaySteps) : t / decaySteps;
    return lr / (1 + decayRate * p);
  });
}
