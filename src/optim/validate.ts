/**
 * Option checks shared by the optimizer parts. Every message names the option, the allowed range
 * and the value received, so a bad configuration is fixed from the error alone.
 */

export function describe(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  return Object.prototype.toString.call(value);
}

export function fail(where: string, option: string, allowed: string, value: unknown): never {
  throw new Error(`${where}: ${option} must be ${allowed}, got ${describe(value)}`);
}

export function requireFinite(where: string, option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(where, option, "a finite number", value);
  return value;
}

export function requirePositive(where: string, option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) fail(where, option, "a finite number > 0", value);
  return value;
}

export function requireNonNegative(where: string, option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) fail(where, option, "a finite number >= 0", value);
  return value;
}

/** For betas, momentum, decay rates: [0, 1). */
export function requireUnitInterval(where: string, option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value >= 1) fail(where, option, "in [0, 1)", value);
  return value;
}

export function requireInteger(where: string, option: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) fail(where, option, `an integer >= ${min}`, value);
  return value;
}

export function requireOneOf<T extends string>(where: string, option: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    fail(where, option, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, value);
  }
  return value as T;
}
