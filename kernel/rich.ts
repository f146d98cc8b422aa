/**
 * How values look in a notebook: the MIME bundle of a cell's last expression and of `display(value)`.
 *
 * - An object with a `[Symbol.for("Jupyter.display")]()` method returns its own bundle (Deno's display
 *   protocol, so libraries written for Deno's kernel display here too); it may return a promise.
 * - An object with `toSpec()` is a Vega-Lite chart (Deno's convention): `application/vnd.vegalite.v5+json`.
 * - A tensor (recognised by shape, dtype, rank and dataSync, not by class, so any copy of tfjs works) shows
 *   its dtype, shape and values, long ones elided.
 * - Everything else: `util.inspect` as `text/plain`.
 * Every value bundle carries `text/plain`, so saved notebooks, logs and the runner can always show it.
 *
 * This module is the kernel's adapter to display formatting; chart bundles (`plotlyBundle`, `vegaLiteBundle`)
 * come from src/plot/bundles.ts.
 */
import { inspect } from "node:util";
import { JsonObject, JsonValue, MimeBundle } from "../jupyter/messages";
import { JUPYTER_DISPLAY } from "../src/host";
import type { PlotlyFigure, VegaLiteSpec } from "../src/plot/types";

/** The chart renderers (src/plot), loaded with the first chart: a kernel's start does not wait for them. */
function chartBundles(): typeof import("../src/plot/bundles") {
  return require("../src/plot/bundles") as typeof import("../src/plot/bundles");
}

/** A bundle with its metadata, ready for display_data / execute_result. */
export interface Rendered {
  data: MimeBundle;
  metadata: JsonObject;
}

/** Bundle values as users pass them: strings, JSON for JSON types, bytes for binary types. */
export type BundleInput = { [mime: string]: unknown };

interface TensorLike {
  shape: number[];
  dtype: string;
  rank: number;
  size?: number;
  isDisposed?: boolean;
  dataSync(): ArrayLike<unknown>;
  toString(verbose?: boolean): string;
}

/** The bundle of a value; a promise only when the value's display method returns one. */
export function renderValue(value: unknown): Rendered | Promise<Rendered> {
  const displayMethod = hasDisplayMethod(value) ? value[JUPYTER_DISPLAY] : undefined;
  if (displayMethod) {
    const bundle = displayMethod.call(value);
    const finish = (b: unknown) => withPlainText(normalizeBundle(asBundle(b, "[Symbol.for(\"Jupyter.display\")]()"), "display"), value);
    return isPromiseLike(bundle) ? Promise.resolve(bundle).then(finish) : finish(bundle);
  }
  if (isVegaLike(value)) return vegaLiteBundle(value.toSpec() as object);
  if (isTensorLike(value)) return { data: { "text/plain": formatTensor(value) }, metadata: {} };
  if (value instanceof Promise) return promiseText(value).then((text) => ({ data: { "text/plain": text }, metadata: {} }));
  return { data: { "text/plain": plainText(value) }, metadata: {} };
}

/**
 * A promise that was not awaited, as `Promise { <pending> }`, `Promise { 42 }` or `Promise { <rejected> … }`
 * (its state after one turn of microtasks; inspecting it directly would also print async-tracking internals).
 */
async function promiseText(promise: Promise<unknown>): Promise<string> {
  const pending = Symbol("pending");
  try {
    const settled = await Promise.race([promise, Promise.resolve(pending)]);
    return settled === pending ? "Promise { <pending> }" : `Promise { ${plainText(settled)} }`;
  } catch (error) {
    return `Promise { <rejected> ${plainText(error)} }`;
  }
}

/** `util.inspect` with notebook-friendly limits. */
export function plainText(value: unknown): string {
  return inspect(value, { depth: 4, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

export function isTensorLike(value: unknown): value is TensorLike {
  const v = value as Partial<TensorLike> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    Array.isArray(v.shape) &&
    typeof v.dtype === "string" &&
    typeof v.rank === "number" &&
    typeof v.dataSync === "function"
  );
}

/** `Tensor float32 [2,3]` followed by the values (tfjs's own layout, which elides long axes). */
export function formatTensor(tensor: TensorLike): string {
  const head = `Tensor ${tensor.dtype} [${tensor.shape.join(",")}]`;
  if (tensor.isDisposed) return `${head} (disposed)`;
  let body: string;
  try {
    const text = tensor.toString();
    // tfjs prints "Tensor\n    <values>": keep the values, dedented
    body = text.startsWith("Tensor\n") ? dedent(text.slice("Tensor\n".length)) : elidedValues(tensor);
  } catch {
    body = elidedValues(tensor);
  }
  return `${head}\n${body}`;
}

function elidedValues(tensor: TensorLike): string {
  const values = Array.from(tensor.dataSync());
  const shown = values.length > 20 ? [...values.slice(0, 10), "...", ...values.slice(-10)] : values;
  return `[${shown.map(String).join(", ")}]`;
}

function dedent(text: string): string {
  const lines = text.replace(/\s+$/, "").split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join("\n");
}

/**
 * Check and convert a user's bundle: text types take strings, JSON types (`application/json`, `*+json`)
 * objects, binary types bytes (sent base64, as Jupyter expects) or an already base64 string.
 */
export function normalizeBundle(bundle: BundleInput, what: string): MimeBundle {
  const data: MimeBundle = {};
  for (const [mime, value] of Object.entries(bundle)) {
    if (value === undefined) continue;
    if (isJsonMime(mime)) data[mime] = toJson(value, `${what}: data for "${mime}"`);
    else if (typeof value === "string") data[mime] = value;
    else if (value instanceof Uint8Array || value instanceof ArrayBuffer) data[mime] = Buffer.from(value as Uint8Array).toString("base64");
    else throw new TypeError(`${what}: data for "${mime}" must be a string${isBinaryMime(mime) ? " or bytes" : ""}, got ${describe(value)}`);
  }
  if (Object.keys(data).length === 0) throw new TypeError(`${what}: the bundle is empty; give at least one MIME type`);
  return data;
}

function withPlainText(data: MimeBundle, value: unknown): Rendered {
  return { data: "text/plain" in data ? data : { ...data, "text/plain": plainText(value) }, metadata: {} };
}

export function isJsonMime(mime: string): boolean {
  return mime === "application/json" || /\+json$/.test(mime);
}

function isBinaryMime(mime: string): boolean {
  return /^(image\/(?!svg)|audio\/|video\/|application\/(pdf|octet-stream))/.test(mime);
}

/** A JSON value from anything JSON.stringify accepts; clear error otherwise. */
export function toJson(value: unknown, what: string): JsonValue {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${what} must be JSON-serializable: ${(error as Error).message}`);
  }
  if (text === undefined) throw new TypeError(`${what} must be JSON-serializable, got ${describe(value)}`);
  return JSON.parse(text) as JsonValue;
}

function asBundle(value: unknown, what: string): BundleInput {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} must return a MIME bundle object, got ${describe(value)}`);
  }
  return value as BundleInput;
}

function hasDisplayMethod(value: unknown): value is { [JUPYTER_DISPLAY]: () => unknown } {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as Record<symbol, unknown>)[JUPYTER_DISPLAY] === "function";
}

function isVegaLike(value: unknown): value is { toSpec(): unknown } {
  return typeof value === "object" && value !== null && typeof (value as { toSpec?: unknown }).toSpec === "function";
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as PromiseLike<unknown>).then === "function";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? `an object (${(value as object).constructor?.name ?? "Object"})` : `${typeof value} ${String(value)}`;
}

/** A Plotly figure as a bundle: the interactive type plus a text fallback. */
export function plotlyBundle(figure: { data?: unknown; layout?: unknown; config?: unknown }): Promise<Rendered> {
  if (typeof figure !== "object" || figure === null || !Array.isArray(figure.data)) {
    throw new TypeError(`display.plotly: figure must be an object with a data array of traces, got ${describe(figure)}`);
  }
  const spec = toJson({ data: figure.data, layout: figure.layout ?? {}, ...(figure.config ? { config: figure.config } : {}) }, "display.plotly: figure");
  // interactive JSON, self-contained HTML (plotly.js once per session), SVG and text: src/plot/bundles.ts
  return chartBundles().plotlyBundle(spec as unknown as PlotlyFigure).then((data) => ({ data: normalizeBundle(data, "display.plotly"), metadata: {} }));
}

/** A Vega-Lite v5 spec as a bundle: the interactive type, an SVG rendered in Node, and a text fallback. */
export function vegaLiteBundle(spec: object): Promise<Rendered> {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new TypeError(`display.vegalite: spec must be a Vega-Lite specification object, got ${describe(spec)}`);
  }
  const json = toJson(spec, "display.vegalite: spec") as unknown as VegaLiteSpec;
  return chartBundles().vegaLiteBundle(json).then((data) => ({
    data: normalizeBundle(data, "display.vegalite"),
    metadata: {},
  }));
}
