import { checkStep, type Schedule, type ScheduleSpec } from "./schedule";
import { describeValue, requireInteger, requireKnownKeys, requireNumber, requireOneOf } from "../util/validate";

export interface ReduceOnPlateauOptions {
  /** Starting value. */
  readonly lr: number;
  /** "min": lower metric is better (a loss); "max": higher is better (an accuracy). Default "min". */
  readonly mode?: "min" | "max";
  /** Multiplier applied on a plateau, in (0, 1); default 0.1. */
  readonly factor?: number;
  /** Reports without improvement tolerated before reducing (integer >= 0); default 10. */
  readonly patience?: number;
  /** Least improvement that counts (>= 0); default 1e-4. */
  readonly threshold?: number;
  /** "rel": improve on best by a factor of threshold; "abs": by threshold itself. Default "rel". */
  readonly thresholdMode?: "rel" | "abs";
  /** Reports after a reduction during which bad reports are not counted (integer >= 0); default 0. */
  readonly cooldown?: number;
  /** The value never goes below this (>= 0); default 0. */
  readonly minLr?: number;
  /** Reductions smaller than this are skipped (>= 0); default 1e-8. */
  readonly eps?: number;
}

/** Everything that changes as metrics are reported: plain JSON, for resuming training exactly. */
export interface ReduceOnPlateauState {
  /** The value in force now. */
  readonly lr: number;
  /** Best metric so far; null before the first report. */
  readonly best: number | null;
  /** Reports since the last improvement (PyTorch's num_bad_epochs). */
  readonly badReports: number;
  /** Reports left in the cooldown after the last reduction. */
  readonly cooldownLeft: number;
}

/**
 * The stateful schedule: callable like any Schedule (its value is the current lr, whatever the step), plus
 * `report` to feed a metric, and `state` / `loadState` to save and resume. Its `spec` includes the current state,
 * so `scheduleFromSpec(s.spec)` rebuilds it where it stands.
 */
export interface ReduceOnPlateauSchedule extends Schedule {
  /** Feeds one metric (a finite number), usually once per epoch; may reduce the value for later steps. */
  report(metric: number): void;
  state(): ReduceOnPlateauState;
  loadState(state: ReduceOnPlateauState): void;
}

/**
 * Reduce the value when a metric stops improving (PyTorch `ReduceLROnPlateau`). On each `report(metric)`:
 *
 *     improved = best is null or metric < best * (1 - threshold)   (min, rel)
 *                                metric < best - threshold         (min, abs)
 *                                metric > best * (1 + threshold)   (max, rel)
 *                                metric > best + threshold         (max, abs)
 *     if improved: best = metric; badReports = 0  else: badReports += 1
 *     if cooldownLeft > 0: cooldownLeft -= 1; badReports = 0
 *     if badReports > patience:
 *         newLr = max(lr * factor, minLr);  if lr - newLr > eps: lr = newLr
 *         cooldownLeft = cooldown; badReports = 0
 *
 * The value in force before the i-th report is what PyTorch's optimizer holds before `scheduler.step(metrics[i])`.
 */
export function reduceOnPlateau(options: ReduceOnPlateauOptions): ReduceOnPlateauSchedule {
  const kind = "reduceOnPlateau";
  requireKnownKeys(kind, options, [
    "lr",
    "mode",
    "factor",
    "patience",
    "threshold",
    "thresholdMode",
    "cooldown",
    "minLr",
    "eps",
  ]);
  const lr0 = requireNumber(kind, "lr", options.lr, { min: 0 });
  const mode = requireOneOf(kind, "mode", options.mode ?? "min", ["min", "max"] as const);
  const factor = requireNumber(kind, "factor", options.factor ?? 0.1, { min: 0, max: 1, minOpen: true, maxOpen: true });
  const patience = requireInteger(kind, "patience", options.patience ?? 10, 0);
  const threshold = requireNumber(kind, "threshold", options.threshold ?? 1e-4, { min: 0 });
  const thresholdMode = requireOneOf(kind, "thresholdMode", options.thresholdMode ?? "rel", ["rel", "abs"] as const);
  const cooldown = requireInteger(kind, "cooldown", options.cooldown ?? 0, 0);
  const minLr = requireNumber(kind, "minLr", options.minLr ?? 0, { min: 0 });
  const eps = requireNumber(kind, "eps", options.eps ?? 1e-8, { min: 0 });
  const resolved = { lr: lr0, mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps };

  let lr = lr0;
  let best: number | null = null;
  let badReports = 0;
  let cooldownLeft = 0;

  const improves = (metric: number, best: number): boolean => {
    if (mode === "min") return thresholdMode === "rel" ? metric < best * (1 - threshold) : metric < best - threshold;
    return thresholdMode === "rel" ? metric > best * (1 + threshold) : metric > best + threshold;
  };

  const report = (metric: number): void => {
    if (typeof metric !== "number" || !Number.isFinite(metric)) {
      throw new Error(`${kind}: metric must be a finite number, got ${describeValue(metric)}`);
    }
    if (best === null || improves(metric, best)) {
      best = metric;
      badReports = 0;
    } else {
      badReports += 1;
    }
    if (cooldownLeft > 0) {
      cooldownLeft -= 1;
      badReports = 0; // bad reports during the cooldown do not count
    }
    if (badReports > patience) {
      const reduced = Math.max(lr * factor, minLr);
      if (lr - reduced > eps) lr = reduced;
      cooldownLeft = cooldown;
      badReports = 0;
    }
  };

  const state = (): ReduceOnPlateauState => ({ lr, best, badReports, cooldownLeft });

  const loadState = (saved: ReduceOnPlateauState): void => {
    const where = `${kind} state`;
    requireKnownKeys(where, saved, ["lr", "best", "badReports", "cooldownLeft"], "field");
    const nextLr = requireNumber(where, "lr", saved.lr, { min: 0 });
    const nextBest = saved.best === null ? null : requireNumber(where, "best (a number or null)", saved.best);
    const nextBad = requireInteger(where, "badReports", saved.badReports, 0);
    const nextCooldown = requireInteger(where, "cooldownLeft", saved.cooldownLeft, 0);
    lr = nextLr;
    best = nextBest;
    badReports = nextBad;
    cooldownLeft = nextCooldown;
  };

  const schedule = (step: number): number => {
    checkStep(kind, step);
    return lr;
  };
  Object.defineProperty(schedule, "name", { value: kind });
  Object.defineProperties(schedule, {
    spec: {
      get: (): ScheduleSpec => Object.freeze({ kind, options: Object.freeze({ ...resolved, state: Object.freeze(state()) }) }),
      enumerable: true,
    },
    report: { value: report, enumerable: true },
    state: { value: state, enumerable: true },
    loadState: { value: loadState, enumerable: true },
  });
  return schedule as ReduceOnPlateauSchedule;
}
