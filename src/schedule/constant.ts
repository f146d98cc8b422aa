import { makeSchedule, type Schedule } from "./schedule";
import { requireKnownKeys, requireNumber } from "../util/validate";

export interface ConstantOptions {
  readonly value: number;
}

/** The same value at every step: `value(t) = value`. */
export function constant(options: ConstantOptions): Schedule {
  requireKnownKeys("constant", options, ["value"]);
  const value = requireNumber("constant", "value", options.value);
  return makeSchedule({ kind: "constant", options: { value } }, () => value);
}
