/**
 * Checks on chart input, with errors that name the builder and the option. The generic checks (and their
 * wording) are util/validate's; a chart option left out takes its default, so the checks here pass `undefined`.
 */
import { fail, requireBoolean, requireInteger, requireKnownKeys, requireOneOf } from "../util/validate";
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

export function checkTitle(where: string, option: string, value: unknown): void {
  if (value !== undefined && typeof value !== "string") fail(where, option, "a string", value);
}

/** The options every line-style chart takes ({ title, x, y, width, height }), checked. */
export function checkLineChartOptions(builder: string, options: LineChartOptions, extra: readonly string[] = []): void {
  requireKnownKeys(builder, options, ["title", "x", "y", "width", "height", ...extra]);
  checkTitle(builder, "title", options.title);
  for (const axis of ["x", "y"] as const) {
    const given = options[axis];
    if (given !== undefined) {
      requireKnownKeys(`${builder}: ${axis}`, given, ["title", "log"]);
      checkTitle(builder, `${axis}.title`, given.title);
      if (given.log !== undefined) requireBoolean(builder, `${axis}.log`, given.log);
    }
  }
  for (const dimension of ["width", "height"] as const) checkPixels(builder, dimension, options[dimension]);
}

/** A chart dimension in pixels: an integer >= 50, or absent. */
export function checkPixels(builder: string, option: string, value: unknown): void {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 50)) fail(builder, option, "an integer >= 50 (pixels)", value);
}

/** One of the allowed strings, or absent. */
export function checkChoice(builder: string, option: string, value: unknown, allowed: readonly string[]): void {
  if (value !== undefined) requireOneOf(builder, option, value, allowed);
}

/** An integer in [min, max], or absent. */
export function checkInteger(builder: string, option: string, value: unknown, min: number, max: number): void {
  if (value !== undefined) requireInteger(builder, option, value, min, max);
}

/** true or false, or absent. */
export function checkBoolean(builder: string, option: string, value: unknown): void {
  if (value !== undefined) requireBoolean(builder, option, value);
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
