import { makeSchedule, type Schedule } from "./schedule";
import { checkOptionNames, integerOption, numberOption } from "./options";

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
  checkOptionNames(kind, options, ["lr", "totalSteps", "power", "endLr"]);
  const lr = numberOption(kind, "lr", options.lr, { min: 0 });
  const totalSteps = integerOption(kind, "totalSteps", options.totalSteps, 1);
  const power = numberOption(kind, "power", options.power, { min: 0, minOpen: true }, 1);
  const endLr = numberOption(kind, "endLr", options.endLr, { min: 0 }, 0);
  return makeSchedule(
    { kind, options: { lr, totalSteps, power, endLr } },
    (t) => (lr - endLr) * (1 - Math.min(t, totalSteps) / totalSteps) ** power + endLr,
  );
}
