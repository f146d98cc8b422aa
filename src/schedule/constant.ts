import { makeSchedule, type Schedule } from "./schedule";
import { checkOptionNames, numberOption } from "./options";

export interface ConstantOptions {
  readonly value: number;
}

/** The same value at every step: `value(t) = value`. */
export function constant(options: ConstantOptions): Schedule {
  checkOptionNames("constant", options, ["value"]);
  const value = numberOption("constant", "value", options.value);
  return makeSchedule({ kind: "constant", options: { value } }, () => value);
}
