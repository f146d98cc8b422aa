/**
 * Option checks shared by the schedule factories. Each throws an Error naming the factory, the option and the
 * allowed range, e.g. `cosine: tMax must be an integer >= 1, got 0`. Options may come from JSON (a saved spec),
 * so the checks look at runtime types too.
 */
import { describeValue } from "./schedule";

/** Bounds of a number option; `*Open` makes a bound exclusive. */
export interface Range {
  readonly min?: number;
  readonly max?: number;
  readonly minOpen?: boolean;
  readonly maxOpen?: boolean;
}

/** Throws unless `options` is a plain object whose keys are all in `allowed` (catches misspelt options). */
export function checkOptionNames(kind: string, options: unknown, allowed: readonly string[], what = "option"): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new Error(`${kind}: ${what}s must be an object, got ${describeValue(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!allowed.includes(name)) {
      throw new Error(`${kind}: unknown ${what} "${name}" (allowed: ${allowed.join(", ")})`);
    }
  }
}

/** A finite number within `range`; `fallback` when undefined and a fallback is given. */
export function numberOption(kind: string, name: string, value: unknown, range: Range = {}, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const { min, max, minOpen = false, maxOpen = false } = range;
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (min === undefined || (minOpen ? value > min : value >= min)) &&
    (max === undefined || (maxOpen ? value < max : value <= max));
  if (!ok) throw new Error(`${kind}: ${name} must be ${describeRange(range)}, got ${describeValue(value)}`);
  return value as number;
}

/** An integer >= `min`; `fallback` when undefined and a fallback is given. */
export function integerOption(kind: string, name: string, value: unknown, min: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`${kind}: ${name} must be an integer >= ${min}, got ${describeValue(value)}`);
  }
  return value;
}

/** Strictly increasing integers, each >= `min`. */
export function increasingIntegersOption(kind: string, name: string, value: unknown, min: number): number[] {
  const ok =
    Array.isArray(value) &&
    value.every(
      (v: unknown, i) => typeof v === "number" && Number.isSafeInteger(v) && v >= min && (i === 0 || v > value[i - 1]),
    );
  if (!ok) {
    throw new Error(`${kind}: ${name} must be an array of strictly increasing integers >= ${min}, got ${describeValue(value)}`);
  }
  return [...(value as number[])];
}

/** One of the `allowed` strings; `fallback` when undefined and a fallback is given. */
export function choiceOption<T extends string>(
  kind: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback?: T,
): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new Error(`${kind}: ${name} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${describeValue(value)}`);
  }
  return value as T;
}

/** A boolean; `fallback` when undefined. */
export function booleanOption(kind: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new Error(`${kind}: ${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

function describeRange({ min, max, minOpen = false, maxOpen = false }: Range): string {
  if (min !== undefined && max !== undefined) {
    return `a number in ${minOpen ? "(" : "["}${min}, ${max}${maxOpen ? ")" : "]"}`;
  }
  if (min !== undefined) return `a finite number ${minOpen ? ">" : ">="} ${min}`;
  if (max !== undefined) return `a finite number ${maxOpen ? "<" : "<="} ${max}`;
  return "a finite number";
}
