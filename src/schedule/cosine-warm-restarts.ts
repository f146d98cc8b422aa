import { makeSchedule, type Schedule } from "./schedule";
import { requireInteger, requireKnownKeys, requireNumber } from "../util/validate";

export interface CosineWarmRestartsOptions {
  /** Value at the start of every cycle. */
  readonly lr: number;
  /** Length of the first cycle in steps (integer >= 1). */
  readonly t0: number;
  /** Each cycle is `tMult` times longer than the one before (integer >= 1); default 1. */
  readonly tMult?: number;
  /** Value approached at the end of every cycle (>= 0); default 0. */
  readonly etaMin?: number;
}

/**
 * Cosine annealing with warm restarts, SGDR (Loshchilov & Hutter 2017; PyTorch `CosineAnnealingWarmRestarts`):
 *
 *     cycle i has length T_i = t0 * tMult^i and starts at step t0 * (1 + tMult + ... + tMult^(i-1))
 *     tCur = steps since the start of the current cycle
 *     lr(t) = etaMin + (lr - etaMin) * (1 + cos(pi * tCur / T_i)) / 2
 *
 * The cycle is found by integer arithmetic (no logarithms), so restarts fall exactly on their steps.
 */
export function cosineWarmRestarts(options: CosineWarmRestartsOptions): Schedule {
  const kind = "cosineWarmRestarts";
  requireKnownKeys(kind, options, ["lr", "t0", "tMult", "etaMin"]);
  const lr = requireNumber(kind, "lr", options.lr, { min: 0 });
  const t0 = requireInteger(kind, "t0", options.t0, 1);
  const tMult = requireInteger(kind, "tMult", options.tMult ?? 1, 1);
  const etaMin = requireNumber(kind, "etaMin", options.etaMin ?? 0, { min: 0 });
  return makeSchedule({ kind, options: { lr, t0, tMult, etaMin } }, (t) => {
    let tCur = t;
    let tI = t0;
    if (tMult === 1) {
      tCur = t % t0;
    } else {
      // Cycle lengths grow geometrically, so this runs O(log t) times.
      while (tCur >= tI) {
        tCur -= tI;
        tI *= tMult;
      }
    }
    return etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  });
}
