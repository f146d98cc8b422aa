/** Shared checks for the chart tests: Vega-Lite schema validity and what the rendered SVG holds. */
import assert from "node:assert/strict";
import Ajv from "ajv";
import type { VegaLiteSpec } from "../../src";

const ajv = new Ajv({ strict: false, allowUnionTypes: true });
const validateVegaLite = ajv.compile(require("vega-lite/build/vega-lite-schema.json"));

export function assertValidSpec(spec: VegaLiteSpec): void {
  const ok = validateVegaLite(spec);
  assert.ok(ok, `invalid Vega-Lite: ${ajv.errorsText(validateVegaLite.errors)}`);
}

/** The <text> contents of an SVG (legend labels, axis titles, tick labels). */
export function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

/** The marks of one kind vega drew ("rect", "area", "rule", "line", "text", "image", "symbol"): their SVG elements. */
export function marks(svg: string, kind: string): string[] {
  return [...svg.matchAll(new RegExp(`<(?:path|line|text|image|g)[^>]*aria-roledescription="${kind} mark"[^>]*>`, "g"))].map((m) => m[0]);
}

/** Inline data rows of the spec's layers, depth first (the top-level data first). */
export function layerData(spec: VegaLiteSpec): Array<Array<Record<string, unknown>>> {
  const out: Array<Array<Record<string, unknown>>> = [];
  const visit = (node: VegaLiteSpec) => {
    const values = (node.data as { values?: Array<Record<string, unknown>> } | undefined)?.values;
    if (values) out.push(values);
    for (const child of node.layer ?? []) visit(child);
  };
  visit(spec);
  return out;
}

export const close = (a: number, b: number, tolerance = 1e-9) => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));
