import { makeSchedule, type Schedule } from "./schedule";
import { requireInteger, requireKnownKeys, requireNumber } from "../util/validate";

export interface PolynomialOptions {
  readonly lr: number;
  /** Steps to reach `endLr` (integer >= 1); the value holds at `endLr` afterwards. */
  readonly totalSteps: number;
  /** Exponent of the decay (> 0); default 1 (linear). */
  readonly power?: number;
  /** Final value (>= 0); default 0. */
  readonly endLr?: number;
}

/**
 * Polynomial decay from `lr` to `endLr` over `totalSteps`, then constant (PyTorch `PolynomialLR` when
 * `endLr` = 0, Keras `PolynomialDecay` without cycling):
 *
 *     lr(t) = (lr - endLr) * (1 - min(t, totalSteps) / totalSteps)^power + endLr
 */
export function polynomial(options: PolynomialOptions): Schedule {
  const kind = "polynomial";
  requireKnownKeys(kind, options, ["lr", "totalSteps", "power", "endLr"]);
  const lr = requireNumber(kind, "lr", options.lr, { min: 0 });
  const totalSteps = requireInteger(kind, "totalSteps", options.totalSteps, 1);
  const power = requireNumber(kind, "power", options.power ?? 1, { min: 0, minOpen: true });
  const endLr = requireNumber(kind, "endLr", options.endLr ?? 0, { min: 0 });
  return makeSchedule(
    { kind, options: { lr, totalSteps, power, endLr } },
    (t) => (lr - endLr) * (1 - Math.min(t, totalSteps) / totalSteps) ** power + endLr,
  );
}
