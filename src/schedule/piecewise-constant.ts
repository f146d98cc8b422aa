import { makeSchedule, type Schedule } from "./schedule";
import { countAtOrBelow } from "./milestones";
import { describeValue, requireIncreasingIntegers, requireKnownKeys } from "../util/validate";

export interface PiecewiseConstantOptions {
  /** Steps at which the next value starts (strictly increasing integers >= 1). */
  readonly boundaries: readonly number[];
  /** One value more than boundaries: values[0] before boundaries[0], values[i] from boundaries[i - 1] on. */
  readonly values: readonly number[];
}

/**
 * A step function: `value(t) = values[number of boundaries <= t]`.
 *
 * A boundary is the first step of the next value, as milestones are in `multiStep` and `sequence` (Keras'
 * `PiecewiseConstantDecay` switches one step later). PyTorch `ConstantLR(factor, total_iters)` is
 * `piecewiseConstant({ boundaries: [totalIters], values: [lr * factor, lr] })`.
 */
export function piecewiseConstant(options: PiecewiseConstantOptions): Schedule {
  const kind = "piecewiseConstant";
  requireKnownKeys(kind, options, ["boundaries", "values"]);
  const boundaries = requireIncreasingIntegers(kind, "boundaries", options.boundaries, 1);
  const values: unknown = options.values;
  if (!Array.isArray(values) || !values.every((v: unknown) => typeof v === "number" && Number.isFinite(v))) {
    throw new Error(`${kind}: values must be an array of finite numbers, got ${describeValue(values)}`);
  }
  if (values.length !== boundaries.length + 1) {
    throw new Error(
      `${kind}: values must have one entry more than boundaries (${boundaries.length + 1}), got ${values.length}`,
    );
  }
  const copy = [...(values as number[])];
  return makeSchedule({ kind, options: { boundaries, values: copy } }, (t) => copy[countAtOrBelow(boundaries, t)]);
}
