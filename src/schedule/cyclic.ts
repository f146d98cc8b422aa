import { makeSchedule, type ScheduleWithMomentum } from "./schedule";
import { requireInteger, requireKnownKeys, requireNumber, requireOneOf } from "../util/validate";

export interface CyclicOptions {
  /** Lower end of the learning-rate cycle. */
  readonly baseLr: number;
  /** Upper end of the learning-rate cycle (scaled down each cycle by triangular2 and exp_range). */
  readonly maxLr: number;
  /** Steps rising from baseLr to maxLr (integer >= 1). */
  readonly stepSizeUp: number;
  /** Steps falling back to baseLr (integer >= 1); default stepSizeUp. */
  readonly stepSizeDown?: number;
  /** Amplitude scaling; default "triangular". */
  readonly mode?: "triangular" | "triangular2" | "exp_range";
  /** exp_range only: amplitude scale gamma^t (> 0); default 1. */
  readonly gamma?: number;
  /** Momentum at the learning-rate peak; default 0.8. */
  readonly baseMomentum?: number;
  /** Momentum at the learning-rate trough; default 0.9. */
  readonly maxMomentum?: number;
}

/**
 * Cyclical learning rate (Smith 2017; PyTorch `CyclicLR`). With L = stepSizeUp + stepSizeDown:
 *
 *     cycle = floor(1 + t / L);  x = 1 + t / L - cycle                          (position in the cycle, [0, 1))
 *     f = x / r  if x <= r  else  (x - 1) / (r - 1),   r = stepSizeUp / L       (0 -> 1 -> 0 triangle)
 *     scale = 1 (triangular) | 1 / 2^(cycle - 1) (triangular2) | gamma^t (exp_range)
 *     lr(t) = baseLr + (maxLr - baseLr) * f * scale
 *     momentum(t) = maxMomentum - (maxMomentum - baseMomentum) * f * scale
 *
 * The returned schedule is the learning rate; `.momentum` is the inverse momentum cycle.
 */
export function cyclic(options: CyclicOptions): ScheduleWithMomentum {
  const kind = "cyclic";
  requireKnownKeys(kind, options, [
    "baseLr",
    "maxLr",
    "stepSizeUp",
    "stepSizeDown",
    "mode",
    "gamma",
    "baseMomentum",
    "maxMomentum",
  ]);
  const baseLr = requireNumber(kind, "baseLr", options.baseLr, { min: 0 });
  const maxLr = requireNumber(kind, "maxLr", options.maxLr, { min: 0 });
  const stepSizeUp = requireInteger(kind, "stepSizeUp", options.stepSizeUp, 1);
  const stepSizeDown = requireInteger(kind, "stepSizeDown", options.stepSizeDown ?? stepSizeUp, 1);
  const mode = requireOneOf(kind, "mode", options.mode ?? "triangular", ["triangular", "triangular2", "exp_range"] as const);
  const gamma = requireNumber(kind, "gamma", options.gamma ?? 1, { min: 0, minOpen: true });
  const baseMomentum = requireNumber(kind, "baseMomentum", options.baseMomentum ?? 0.8);
  const maxMomentum = requireNumber(kind, "maxMomentum", options.maxMomentum ?? 0.9);
  const resolved = { baseLr, maxLr, stepSizeUp, stepSizeDown, mode, gamma, baseMomentum, maxMomentum };

  const totalSize = stepSizeUp + stepSizeDown;
  const stepRatio = stepSizeUp / totalSize;
  const position = (t: number): { f: number; scale: number } => {
    const cycle = Math.floor(1 + t / totalSize);
    const x = 1 + t / totalSize - cycle;
    const f = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
    const scale = mode === "triangular" ? 1 : mode === "triangular2" ? 1 / 2 ** (cycle - 1) : gamma ** t;
    return { f, scale };
  };
  const lr = makeSchedule({ kind, options: resolved }, (t) => {
    const { f, scale } = position(t);
    return baseLr + (maxLr - baseLr) * f * scale;
  });
  const momentum = makeSchedule({ kind: "cyclicMomentum", options: resolved }, (t) => {
    const { f, scale } = position(t);
    return maxMomentum - (maxMomentum - baseMomentum) * f * scale;
  });
  return Object.defineProperty(lr, "momentum", { value: momentum, enumerable: true }) as ScheduleWithMomentum;
}
