/**
 * The schedule type: a plain function from optimizer update `step` to the value in force at that step.
 *
 * Schedules drive any scalar hyperparameter (learning rate, momentum, beta1, weight decay). Each one carries a
 * JSON-serialisable `spec` naming its factory and options, so an optimizer can save it with its config and
 * `scheduleFromSpec` can rebuild it.
 */
import { requireInteger } from "../util/validate";

/** A value inside a schedule spec: JSON data; nested schedules appear as nested specs. */
export type ScheduleSpecValue =
  | number
  | string
  | boolean
  | null
  | ScheduleSpec
  | readonly ScheduleSpecValue[]
  | { readonly [key: string]: ScheduleSpecValue };

/** How a schedule was made: the factory's name (`kind`) and its options, defaults filled in. */
export interface ScheduleSpec {
  readonly kind: string;
  readonly options: Readonly<Record<string, ScheduleSpecValue>>;
}

/** `schedule(step)` is the value in force at optimizer update `step` (an integer >= 0, counted from 0). */
export interface Schedule {
  (step: number): number;
  readonly spec: ScheduleSpec;
}

/** A learning-rate schedule that comes with the momentum (or Adam beta1) schedule meant to run beside it. */
export interface ScheduleWithMomentum extends Schedule {
  readonly momentum: Schedule;
}

/**
 * Wraps `valueAt` as a Schedule: checks the step (an integer >= 0), then returns `valueAt(step)`.
 * The spec is frozen so it always describes the function it is attached to.
 */
export function makeSchedule(spec: ScheduleSpec, valueAt: (step: number) => number): Schedule {
  const kind = spec.kind;
  const schedule = (step: number): number => valueAt(checkStep(kind, step));
  Object.defineProperty(schedule, "name", { value: kind });
  Object.defineProperty(schedule, "spec", { value: deepFreeze(spec), enumerable: true });
  return schedule as Schedule;
}

/** Throws unless `step` is an integer >= 0; returns it. */
export function checkStep(kind: string, step: number): number {
  return requireInteger(kind, "step", step, 0);
}

/** True when `value` is a Schedule: a function carrying a spec with a string kind. */
export function isSchedule(value: unknown): value is Schedule {
  if (typeof value !== "function") return false;
  const spec: unknown = (value as { spec?: unknown }).spec;
  return typeof spec === "object" && spec !== null && typeof (spec as { kind?: unknown }).kind === "string";
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
