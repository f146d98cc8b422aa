import { makeSchedule, type Schedule } from "./schedule";
import { requireInteger, requireKnownKeys, requireNumber } from "../util/validate";

export interface CosineOptions {
  /** Value at step 0. */
  readonly lr: number;
  /** Steps from `lr` down to `etaMin` (integer >= 1): half a cosine period. */
  readonly tMax: number;
  /** Value at step `tMax` (>= 0); default 0. */
  readonly etaMin?: number;
}

/**
 * Cosine annealing (PyTorch `CosineAnnealingLR`, in its closed form):
 *
 *     lr(t) = etaMin + (lr - etaMin) * (1 + cos(pi * t / tMax)) / 2
 *
 * PyTorch computes the same curve recursively from the previous value; the closed form agrees with it to rounding.
 * As in PyTorch, the curve goes on past `tMax` and rises back to `lr` at `2 * tMax` (period `2 * tMax`). To hold
 * `etaMin` instead, follow it with a constant: `sequence([cosine(o), constant({ value: o.etaMin })], [o.tMax])`.
 */
export function cosine(options: CosineOptions): Schedule {
  const kind = "cosine";
  requireKnownKeys(kind, options, ["lr", "tMax", "etaMin"]);
  const lr = requireNumber(kind, "lr", options.lr, { min: 0 });
  const tMax = requireInteger(kind, "tMax", options.tMax, 1);
  const etaMin = requireNumber(kind, "etaMin", options.etaMin ?? 0, { min: 0 });
  return makeSchedule(
    { kind, options: { lr, tMax, etaMin } },
    (t) => etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2,
  );
}
