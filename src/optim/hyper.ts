/**
 * Hyperparameters: every scalar hyperparameter of every optimizer (learning rate, momentum, betas,
 * weight decay…) is a number or a schedule of the group's update count, and can be changed while
 * training — unlike tfjs's SGD/Momentum, which silently ignore writes to `learningRate`.
 */
import { Schedule, ScheduleSpec, isSchedule, scheduleFromSpec } from "../schedule";
import { fail, requireFinite } from "../util/validate";

export type Hyperparameter = number | Schedule;

/** The value in force at update `step` (0-based count of the updates already applied). */
export function valueAt(value: Hyperparameter, step: number): number {
  return typeof value === "number" ? value : value(step);
}

/** Numbers must be finite; schedules are taken as they are (each validates its own options). */
export function checkHyperparameter(where: string, option: string, value: unknown): Hyperparameter {
  if (isSchedule(value)) return value;
  if (typeof value === "function") {
    fail(where, option, "a number or a stepwise schedule (a plain function has no spec to save)", value);
  }
  return requireFinite(where, option, value);
}

/** A hyperparameter as JSON: a number, or `{ schedule: spec }`. */
export type SerializedHyperparameter = number | { schedule: ScheduleSpec };

export function serializeHyperparameter(value: Hyperparameter): SerializedHyperparameter {
  return typeof value === "number" ? value : { schedule: value.spec };
}

export function deserializeHyperparameter(value: SerializedHyperparameter): Hyperparameter {
  return typeof value === "number" ? value : scheduleFromSpec(value.schedule);
}
