/**
 * Option checks for every part of stepwise, with one wording per error. Each message names the function,
 * the option, what is allowed and the value received, so a bad call is fixed from the error alone:
 *
 *   cosine: tMax must be an integer >= 1, got 0
 *   adam: unknown option "betas" (allowed: lr, weightDecay, beta1, beta2, eps)
 *
 * Options may come from JSON (saved specs and configs), so the checks look at runtime types.
 */

/** A short rendering of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return value.length <= 8 ? `[${value.map(describeValue).join(", ")}]` : `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return Object.prototype.toString.call(value);
}

export function fail(where: string, option: string, allowed: string, value: unknown): never {
  throw new Error(`${where}: ${option} must be ${allowed}, got ${describeValue(value)}`);
}

/** Bounds of a number option; `*Open` makes a bound exclusive. */
export interface Range {
  readonly min?: number;
  readonly max?: number;
  readonly minOpen?: boolean;
  readonly maxOpen?: boolean;
}

function describeRange({ min, max, minOpen = false, maxOpen = false }: Range): string {
  if (min !== undefined && max !== undefined) return `in ${minOpen ? "(" : "["}${min}, ${max}${maxOpen ? ")" : "]"}`;
  if (min !== undefined) return `a finite number ${minOpen ? ">" : ">="} ${min}`;
  if (max !== undefined) return `a finite number ${maxOpen ? "<" : "<="} ${max}`;
  return "a finite number";
}

/** A finite number within `range`. */
export function requireNumber(where: string, option: string, value: unknown, range: Range = {}): number {
  const { min, max, minOpen = false, maxOpen = false } = range;
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (min === undefined || (minOpen ? value > min : value >= min)) &&
    (max === undefined || (maxOpen ? value < max : value <= max));
  if (!ok) fail(where, option, describeRange(range), value);
  return value as number;
}

export function requireFinite(where: string, option: string, value: unknown): number {
  return requireNumber(where, option, value);
}

export function requirePositive(where: string, option: string, value: unknown): number {
  return requireNumber(where, option, value, { min: 0, minOpen: true });
}

export function requireNonNegative(where: string, option: string, value: unknown): number {
  return requireNumber(where, option, value, { min: 0 });
}

/** For betas, momentum, decay rates: [0, 1). */
export function requireUnitInterval(where: string, option: string, value: unknown): number {
  return requireNumber(where, option, value, { min: 0, max: 1, maxOpen: true });
}

/** A safe integer in [min, max]. */
export function requireInteger(where: string, option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(where, option, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

/** Strictly increasing integers, each >= `min`. */
export function requireIncreasingIntegers(where: string, option: string, value: unknown, min: number): number[] {
  const ok =
    Array.isArray(value) &&
    value.every((v: unknown, i) => typeof v === "number" && Number.isSafeInteger(v) && v >= min && (i === 0 || v > value[i - 1]));
  if (!ok) fail(where, option, `an array of strictly increasing integers >= ${min}`, value);
  return [...(value as number[])];
}

export function requireBoolean(where: string, option: string, value: unknown): boolean {
  if (typeof value !== "boolean") fail(where, option, "true or false", value);
  return value;
}

export function requireOneOf<T extends string>(where: string, option: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    fail(where, option, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, value);
  }
  return value as T;
}

/**
 * Throws unless `options` is a plain object whose keys are all in `allowed`, so a misspelt option
 * (`batchsize`) is an error rather than ignored. `what` names the kind of key ("option", "clip option").
 */
export function requireKnownKeys(where: string, options: unknown, allowed: readonly string[], what = "option"): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    fail(where, `${what}s`, "an object", options);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new Error(`${where}: unknown ${what} ${JSON.stringify(key)} (allowed: ${allowed.join(", ")})`);
  }
}
