import { makeSchedule, type ScheduleWithMomentum } from "./schedule";
import { requireBoolean, requireInteger, requireKnownKeys, requireNumber, requireOneOf } from "../util/validate";

export interface OneCycleOptions {
  /** Peak learning rate. */
  readonly maxLr: number;
  /** Length of the cycle in steps (integer >= 2). */
  readonly totalSteps: number;
  /** Fraction of the steps spent rising to `maxLr`, in (0, 1); default 0.3. */
  readonly pctStart?: number;
  /** Shape of each phase; default "cos". */
  readonly annealStrategy?: "cos" | "linear";
  /** initialLr = maxLr / divFactor (> 0); default 25. */
  readonly divFactor?: number;
  /** minLr = initialLr / finalDivFactor (> 0); default 1e4. */
  readonly finalDivFactor?: number;
  /** Fall back to initialLr before annealing to minLr (fast.ai's original 3-phase form); default false. */
  readonly threePhase?: boolean;
  /** Momentum at the learning-rate peak; default 0.85. */
  readonly baseMomentum?: number;
  /** Momentum at the start and end; default 0.95. */
  readonly maxMomentum?: number;
}

/**
 * One-cycle policy (Smith & Topin 2018; PyTorch `OneCycleLR`). With initialLr = maxLr / divFactor,
 * minLr = initialLr / finalDivFactor, p = pctStart and T = totalSteps, the values move between knots:
 *
 *     two phases:    step      0 -> p*T - 1 -> T - 1
 *                    lr        initialLr -> maxLr -> minLr
 *                    momentum  maxMomentum -> baseMomentum -> maxMomentum
 *     three phases:  step      0 -> p*T - 1 -> 2*p*T - 2 -> T - 1
 *                    lr        initialLr -> maxLr -> initialLr -> minLr
 *                    momentum  maxMomentum -> baseMomentum -> maxMomentum -> maxMomentum
 *
 * Within a phase, with pct the fraction of the phase elapsed, a value goes from `start` to `end` as
 *
 *     cos:     end + (start - end) * (1 + cos(pi * pct)) / 2
 *     linear:  start + (end - start) * pct
 *
 * From step T - 1 on the final values hold (PyTorch raises once stepped past T). The returned schedule is the
 * learning rate; its `.momentum` is the inverse momentum cycle (use it as SGD momentum or Adam's beta1).
 */
export function oneCycle(options: OneCycleOptions): ScheduleWithMomentum {
  const resolved = resolveOneCycle(options);
  const { maxLr, totalSteps, pctStart, annealStrategy, divFactor, finalDivFactor, threePhase } = resolved;
  const { baseMomentum, maxMomentum } = resolved;
  const initialLr = maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  const peak = pctStart * totalSteps - 1;
  const phases: readonly Phase[] = threePhase
    ? [
        { end: peak, lr: [initialLr, maxLr], momentum: [maxMomentum, baseMomentum] },
        { end: 2 * pctStart * totalSteps - 2, lr: [maxLr, initialLr], momentum: [baseMomentum, maxMomentum] },
        { end: totalSteps - 1, lr: [initialLr, minLr], momentum: [maxMomentum, maxMomentum] },
      ]
    : [
        { end: peak, lr: [initialLr, maxLr], momentum: [maxMomentum, baseMomentum] },
        { end: totalSteps - 1, lr: [maxLr, minLr], momentum: [baseMomentum, maxMomentum] },
      ];
  const anneal = annealStrategy === "cos" ? annealCos : annealLinear;
  const valueAt = (which: "lr" | "momentum") => (t: number) => {
    const { phase, pct } = locate(phases, t);
    return anneal(phase[which][0], phase[which][1], pct);
  };
  const lr = makeSchedule({ kind: "oneCycle", options: resolved }, valueAt("lr"));
  const momentum = makeSchedule({ kind: "oneCycleMomentum", options: resolved }, valueAt("momentum"));
  return Object.defineProperty(lr, "momentum", { value: momentum, enumerable: true }) as ScheduleWithMomentum;
}

interface Phase {
  /** Last step of the phase (PyTorch's float end_step); the phase starts where the previous one ends. */
  readonly end: number;
  readonly lr: readonly [number, number];
  readonly momentum: readonly [number, number];
}

// A type alias, not an interface, so that it fits ScheduleSpec's options (implicit index signature).
type ResolvedOneCycleOptions = {
  readonly maxLr: number;
  readonly totalSteps: number;
  readonly pctStart: number;
  readonly annealStrategy: "cos" | "linear";
  readonly divFactor: number;
  readonly finalDivFactor: number;
  readonly threePhase: boolean;
  readonly baseMomentum: number;
  readonly maxMomentum: number;
};

function resolveOneCycle(options: OneCycleOptions): ResolvedOneCycleOptions {
  const kind = "oneCycle";
  requireKnownKeys(kind, options, [
    "maxLr",
    "totalSteps",
    "pctStart",
    "annealStrategy",
    "divFactor",
    "finalDivFactor",
    "threePhase",
    "baseMomentum",
    "maxMomentum",
  ]);
  const resolved: ResolvedOneCycleOptions = {
    maxLr: requireNumber(kind, "maxLr", options.maxLr, { min: 0 }),
    totalSteps: requireInteger(kind, "totalSteps", options.totalSteps, 2),
    pctStart: requireNumber(kind, "pctStart", options.pctStart ?? 0.3, { min: 0, max: 1, minOpen: true, maxOpen: true }),
    annealStrategy: requireOneOf(kind, "annealStrategy", options.annealStrategy ?? "cos", ["cos", "linear"] as const),
    divFactor: requireNumber(kind, "divFactor", options.divFactor ?? 25, { min: 0, minOpen: true }),
    finalDivFactor: requireNumber(kind, "finalDivFactor", options.finalDivFactor ?? 1e4, { min: 0, minOpen: true }),
    threePhase: requireBoolean(kind, "threePhase", options.threePhase ?? false),
    baseMomentum: requireNumber(kind, "baseMomentum", options.baseMomentum ?? 0.85),
    maxMomentum: requireNumber(kind, "maxMomentum", options.maxMomentum ?? 0.95),
  };
  // Every phase needs a positive length: PyTorch divides by zero (or runs a phase backwards) otherwise.
  const { pctStart, totalSteps, threePhase } = resolved;
  const rise = pctStart * totalSteps;
  const limit = threePhase ? (totalSteps + 1) / 2 : totalSteps;
  if (!(rise > 1 && rise < limit)) {
    throw new Error(
      `${kind}: pctStart * totalSteps must be in (1, ${threePhase ? "(totalSteps + 1) / 2" : "totalSteps"}) ` +
        `so that every phase has a positive length, got ${pctStart} * ${totalSteps} = ${rise}`,
    );
  }
  return resolved;
}

/** The phase holding step t and the fraction of it elapsed (clamped to 1 after the last phase). */
function locate(phases: readonly Phase[], t: number): { phase: Phase; pct: number } {
  let start = 0;
  for (let i = 0; i < phases.length; i++) {
    const phase = phases[i];
    if (t <= phase.end || i === phases.length - 1) {
      return { phase, pct: Math.min(1, (t - start) / (phase.end - start)) };
    }
    start = phase.end;
  }
  throw new Error("unreachable: oneCycle has at least one phase");
}

function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}
