/** Checks on chart input, with errors that name the builder and the option. */
import { LineChartOptions, Series } from "./types";

export function checkSeries(builder: string, series: readonly Series[], logX: boolean, logY: boolean): void {
  if (!Array.isArray(series) || series.length === 0) throw new Error(`${builder}: series must be a non-empty list, got ${JSON.stringify(series)}`);
  for (const [i, s] of series.entries()) {
    const label = `${builder}: series[${i}] (${JSON.stringify(s?.name)})`;
    if (typeof s?.name !== "string" || s.name === "") throw new Error(`${builder}: series[${i}].name must be a non-empty string`);
    if (!Array.isArray(s.x) || !Array.isArray(s.y)) throw new Error(`${label}: x and y must be arrays of numbers`);
    if (s.x.length !== s.y.length) throw new Error(`${label}: x has ${s.x.length} values but y has ${s.y.length}; they must be equally long`);
    checkAxis(label, "x", s.x, logX);
    checkAxis(label, "y", s.y, logY);
  }
}

function checkAxis(label: string, axis: "x" | "y", values: readonly number[], log: boolean): void {
  for (const v of values) {
    if (typeof v !== "number") throw new Error(`${label}: ${axis} must hold numbers, found ${JSON.stringify(v)}`);
    // NaN/Infinity are gaps (a diverged run), not errors; on a log axis only positive values can be drawn
    if (log && Number.isFinite(v) && v <= 0) throw new Error(`${label}: ${axis} is on a log scale, so its values must be > 0, found ${v}`);
  }
}

/** Options must be an object (or absent) naming only known keys: a misspelt option is an error, not ignored. */
export function checkOptions(where: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new Error(`${where}: options must be an object, got ${options === null ? "null" : Array.isArray(options) ? "an array" : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new Error(`${where}: unknown option ${JSON.stringify(key)}; known options: ${known.join(", ")}`);
  }
}

export function checkTitle(where: string, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== "string") throw new Error(`${where}: ${option} must be a string, got ${value === null ? "null" : typeof value}`);
}

/** The options every line-style chart takes ({ title, x, y, width, height }), checked. */
export function checkLineChartOptions(builder: string, options: LineChartOptions, extra: readonly string[] = []): void {
  checkOptions(builder, options, ["title", "x", "y", "width", "height", ...extra]);
  checkTitle(builder, "title", options.title);
  for (const axis of ["x", "y"] as const) {
    const given = options[axis];
    if (given !== undefined) {
      checkOptions(`${builder}: ${axis}`, given, ["title", "log"]);
      checkTitle(builder, `${axis}.title`, given.title);
      if (given.log !== undefined && typeof given.log !== "boolean") throw new Error(`${builder}: ${axis}.log must be true or false, got ${JSON.stringify(given.log)}`);
    }
  }
  for (const dimension of ["width", "height"] as const) checkPixels(builder, dimension, options[dimension]);
}

/** A chart dimension in pixels: an integer >= 50, or absent. */
export function checkPixels(builder: string, option: string, value: unknown): void {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 50)) throw new Error(`${builder}: ${option} must be an integer >= 50 (pixels), got ${value}`);
}

/** One of the allowed values, or absent. */
export function checkChoice(builder: string, option: string, value: unknown, allowed: readonly unknown[]): void {
  if (value !== undefined && !allowed.includes(value)) throw new Error(`${builder}: ${option} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(value)}`);
}

/** An integer in [min, max], or absent. */
export function checkInteger(builder: string, option: string, value: unknown, min: number, max: number): void {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)) {
    throw new Error(`${builder}: ${option} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
}

/** A list of numbers (an array or a typed array); non-finite values are allowed (the caller decides). */
export function checkNumbers(where: string, values: unknown): asserts values is ArrayLike<number> {
  const list = values as ArrayLike<unknown> | null | undefined;
  if (list === null || typeof list !== "object" || typeof list.length !== "number" || !(Array.isArray(list) || ArrayBuffer.isView(list))) {
    throw new Error(`${where} must be an array of numbers, got ${list === null ? "null" : typeof list}`);
  }
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== "number") throw new Error(`${where} must hold numbers, found ${JSON.stringify(list[i])} at index ${i}`);
  }
}
