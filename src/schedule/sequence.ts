import { isSchedule, makeSchedule, type Schedule } from "./schedule";
import { countAtOrBelow } from "./milestones";
import { describeValue, requireIncreasingIntegers } from "../util/validate";

/**
 * Schedules one after another (PyTorch `SequentialLR`, optax `join_schedules`). Schedule i takes over at
 * `milestones[i - 1]` and counts its steps from 0 there:
 *
 *     i = number of milestones <= t
 *     lr(t) = schedules[i](t - milestones[i - 1])      (with milestones[-1] = 0)
 *
 * `milestones` are strictly increasing integers >= 1, one fewer than `schedules`.
 */
export function sequence(schedules: readonly Schedule[], milestones: readonly number[]): Schedule {
  const kind = "sequence";
  if (!Array.isArray(schedules) || schedules.length === 0) {
    throw new Error(`${kind}: schedules must be a non-empty array of Schedules, got ${describeValue(schedules)}`);
  }
  schedules.forEach((s, i) => {
    if (!isSchedule(s)) {
      throw new Error(`${kind}: schedules[${i}] must be a Schedule made by a schedule factory, got ${describeValue(s)}`);
    }
  });
  const starts = requireIncreasingIntegers(kind, "milestones", milestones, 1);
  if (starts.length !== schedules.length - 1) {
    throw new Error(
      `${kind}: milestones must have one entry fewer than schedules (${schedules.length - 1}), got ${starts.length}`,
    );
  }
  const parts = [...schedules];
  return makeSchedule({ kind, options: { schedules: parts.map((s) => s.spec), milestones: starts } }, (t) => {
    const i = countAtOrBelow(starts, t);
    return parts[i](i === 0 ? t : t - starts[i - 1]);
  });
}
