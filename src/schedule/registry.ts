/**
 * Rebuilding schedules from their specs: one builder per kind (the factory's name), nested specs rebuilt
 * recursively. Every schedule this part makes round-trips: `scheduleFromSpec(s.spec)` behaves as `s`.
 */
import { type Schedule, type ScheduleSpec, type ScheduleSpecValue } from "./schedule";
import { constant } from "./constant";
import { linear } from "./linear";
import { step } from "./step";
import { multiStep } from "./multi-step";
import { exponential } from "./exponential";
import { polynomial } from "./polynomial";
import { inverseTime } from "./inverse-time";
import { cosine } from "./cosine";
import { cosineWarmRestarts } from "./cosine-warm-restarts";
import { linearWarmup, type LinearWarmupOptions } from "./linear-warmup";
import { sequence } from "./sequence";
import { piecewiseConstant } from "./piecewise-constant";
import { oneCycle, type OneCycleOptions } from "./one-cycle";
import { cyclic, type CyclicOptions } from "./cyclic";
import { reduceOnPlateau, type ReduceOnPlateauOptions, type ReduceOnPlateauState } from "./reduce-on-plateau";
import { describeValue } from "../util/validate";

/** Builds a schedule of one kind from the options in its spec. */
export type ScheduleBuilder = (options: Readonly<Record<string, ScheduleSpecValue>>) => Schedule;

/**
 * Spec options arrive as JSON; the factories check every option at runtime, so passing them through is safe.
 * This is the one place where JSON is taken as a factory's options type.
 */
function direct<O>(factory: (options: O) => Schedule): ScheduleBuilder {
  return (options) => factory(options as unknown as O);
}

/** Every schedule kind, by the name in `spec.kind`. */
export const scheduleBuilders: ReadonlyMap<string, ScheduleBuilder> = new Map<string, ScheduleBuilder>([
  ["constant", direct(constant)],
  ["linear", direct(linear)],
  ["step", direct(step)],
  ["multiStep", direct(multiStep)],
  ["exponential", direct(exponential)],
  ["polynomial", direct(polynomial)],
  ["inverseTime", direct(inverseTime)],
  ["cosine", direct(cosine)],
  ["cosineWarmRestarts", direct(cosineWarmRestarts)],
  ["piecewiseConstant", direct(piecewiseConstant)],
  [
    "linearWarmup",
    ({ after, ...options }) => linearWarmup(options as unknown as LinearWarmupOptions, scheduleFromSpec(after as ScheduleSpec)),
  ],
  [
    "sequence",
    ({ schedules, milestones }) => {
      if (!Array.isArray(schedules)) {
        throw new Error(`scheduleFromSpec: sequence needs options.schedules, an array of specs, got ${describeValue(schedules)}`);
      }
      return sequence(
        schedules.map((s: ScheduleSpecValue) => scheduleFromSpec(s as ScheduleSpec)),
        milestones as readonly number[],
      );
    },
  ],
  ["oneCycle", direct(oneCycle)],
  ["oneCycleMomentum", (options) => oneCycle(options as unknown as OneCycleOptions).momentum],
  ["cyclic", direct(cyclic)],
  ["cyclicMomentum", (options) => cyclic(options as unknown as CyclicOptions).momentum],
  [
    "reduceOnPlateau",
    ({ state, ...options }) => {
      const schedule = reduceOnPlateau(options as unknown as ReduceOnPlateauOptions);
      if (state !== undefined) schedule.loadState(state as unknown as ReduceOnPlateauState);
      return schedule;
    },
  ],
]);

/** Rebuilds a schedule from its spec (as found in `schedule.spec`, possibly after a JSON round trip). */
export function scheduleFromSpec(spec: ScheduleSpec): Schedule {
  const { kind, options } = (typeof spec === "object" && spec !== null ? spec : {}) as Partial<ScheduleSpec>;
  if (typeof kind !== "string" || typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new Error(`scheduleFromSpec: spec must be an object { kind: string, options: object }, got ${describeValue(spec)}`);
  }
  const build = scheduleBuilders.get(kind);
  if (build === undefined) {
    throw new Error(`scheduleFromSpec: unknown kind "${kind}" (known: ${[...scheduleBuilders.keys()].join(", ")})`);
  }
  return build(options);
}
