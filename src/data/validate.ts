/**
 * Option checks for the data part. Every message names the function, the option, the allowed range
 * and the value received: `twoMoons: n must be an integer >= 1, got 0`.
 */

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return Object.prototype.toString.call(value);
}

export function fail(where: string, option: string, allowed: string, value: unknown): never {
  throw new Error(`${where}: ${option} must be ${allowed}, got ${describe(value)}`);
}

/** An integer in [min, max] (max defaults to Number.MAX_SAFE_INTEGER). */
export function integer(where: string, option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(where, option, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

export function nonNegative(where: string, option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) fail(where, option, "a finite number >= 0", value);
  return value;
}

export function positive(where: string, option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) fail(where, option, "a finite number > 0", value);
  return value;
}

export function finite(where: string, option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(where, option, "a finite number", value);
  return value;
}

export function boolean(where: string, option: string, value: unknown): boolean {
  if (typeof value !== "boolean") fail(where, option, "true or false", value);
  return value;
}

export function oneOf<T extends string>(where: string, option: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    fail(where, option, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, value);
  }
  return value as T;
}

/** Rejects option names the function does not know, so a typo (`batchsize`) is not silently ignored. */
export function knownOptions(where: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null) fail(where, "options", "an object", options);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${where}: unknown option "${key}" (known: ${known.join(", ")})`);
  }
}
