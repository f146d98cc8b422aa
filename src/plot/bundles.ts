/**
 * MIME bundles for charts, as the kernel's `display.vegalite(spec)` / `display.plotly(figure)` and stepwise's
 * Chart publish them. Every chart bundle carries its interactive type, a static `image/svg+xml` rendered in
 * Node (GitHub, nbviewer and VS Code strip scripts; JupyterLab renders Plotly only with an extension) and
 * `text/plain`. Plotly bundles also carry a self-contained `text/html`: plotly.js is inlined into the first
 * one of a session and later ones reuse it, as plotly.py's offline notebook mode does.
 */
import * as fs from "node:fs";
import { type MimeBundle, PLOTLY_MIME, VEGA_LITE_MIME } from "../host";
import { plotlyToVegaLite, staticRenderingGap } from "./plotly-to-vega";
import type { PlotlyFigure, VegaLiteSpec } from "./types";

const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: "none" }) => { toSVG(): Promise<string>; finalize(): void };
}
interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}

/** Renders a Vega-Lite spec to SVG with vega's headless view (no browser, no canvas). */
export async function renderVegaLiteSvg(spec: VegaLiteSpec): Promise<string> {
  const vega = require("vega") as VegaModule;
  const vegaLite = require("vega-lite") as VegaLiteModule;
  let compiled: unknown;
  try {
    // vega tags the data rows it renders (a Symbol per row): render a copy, so the caller's spec stays plain JSON
    compiled = vegaLite.compile(structuredClone(spec)).spec;
  } catch (error) {
    throw new Error(`vegalite: the spec does not compile: ${(error as Error).message}`);
  }
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** `application/vnd.vegalite.v5+json` + SVG + text for a Vega-Lite spec. */
export async function vegaLiteBundle(spec: VegaLiteSpec): Promise<MimeBundle> {
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    throw new Error(`vegalite: the spec must be a Vega-Lite object, got ${spec === null ? "null" : typeof spec}`);
  }
  const withSchema: VegaLiteSpec = { $schema: VEGA_LITE_SCHEMA, ...spec };
  return {
    [VEGA_LITE_MIME]: withSchema,
    "image/svg+xml": await renderVegaLiteSvg(withSchema),
    "text/plain": `<Vega-Lite chart${titleOf(spec.title)} (${describeVegaLite(spec)})>`,
  };
}

let plotlyLoaded = false;

/** Forget that plotly.js was sent (a new kernel session, or a test). */
export function resetPlotlySession(): void {
  plotlyLoaded = false;
}

/**
 * `application/vnd.plotly.v1+json` + self-contained HTML + SVG (through the equivalent Vega-Lite spec) +
 * text for a Plotly figure.
 */
export async function plotlyBundle(figure: PlotlyFigure): Promise<MimeBundle> {
  if (figure === null || typeof figure !== "object" || !Array.isArray(figure.data)) {
    throw new Error("plotly: the figure must be an object with a data array of traces ({ data, layout?, config? })");
  }
  const json = JSON.parse(JSON.stringify(figure)) as PlotlyFigure; // plain JSON: no functions, no typed arrays
  // trace types the translation does not know (bar, pie...) still display, without the static image
  const gap = staticRenderingGap(json);
  const traces = `${json.data.length} trace${json.data.length === 1 ? "" : "s"}`;
  return {
    [PLOTLY_MIME]: json,
    "text/html": plotlyHtml(json),
    ...(gap === undefined ? { "image/svg+xml": await renderVegaLiteSvg(plotlyToVegaLite(json)) } : {}),
    "text/plain": `<Plotly figure${titleOf(json.layout?.title)}: ${traces}${gap === undefined ? "" : `; no static image: ${gap}`}>`,
  };
}

let divCounter = 0;

function plotlyHtml(figure: PlotlyFigure): string {
  const id = `stepwise-plotly-${process.pid}-${Date.now().toString(36)}-${divCounter++}`;
  const args = [JSON.stringify(id), json(figure.data), json(figure.layout ?? {}), json({ responsive: true, ...(figure.config ?? {}) })].join(", ");
  // later outputs may render before the first one's script has run: wait for window.Plotly
  const draw =
    `<script type="text/javascript">(function () { function draw() { window.Plotly.newPlot(${args}); }` +
    ` if (window.Plotly) draw(); else { var t = setInterval(function () { if (window.Plotly) { clearInterval(t); draw(); } }, 50); } })();</script>`;
  const div = `<div id="${id}" class="stepwise-plotly" style="height: 420px; width: 100%;"></div>`;
  if (plotlyLoaded) return div + draw;
  plotlyLoaded = true;
  return `${plotlyLibraryScript()}${div}${draw}`;
}

let library: string | undefined;

/** plotly.js, defining window.Plotly (its UMD header would name the global `moduleName`). */
function plotlyLibraryScript(): string {
  if (library === undefined) {
    const source = fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
    library =
      `<script type="text/javascript">if (!window.Plotly) { (function () { var module = { exports: {} }, exports = module.exports, define = undefined;\n` +
      `${source.replace(/<\/script/gi, "<\\/script")}\n;window.Plotly = module.exports; })(); }</script>`;
  }
  return library;
}

/** JSON for inline scripts: `</script>` and U+2028/9 cannot end the script early. */
function json(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function titleOf(title: unknown): string {
  const text = typeof title === "string" ? title : title && typeof title === "object" && "text" in title ? String((title as { text: unknown }).text) : "";
  return text ? `: ${text}` : "";
}

/** "line, point marks; 120 data rows": the marks and the inline data rows of a spec, its layers included. */
function describeVegaLite(spec: VegaLiteSpec): string {
  const marks = new Set<string>();
  let rows = 0;
  const visit = (node: VegaLiteSpec): void => {
    const mark = typeof node.mark === "string" ? node.mark : node.mark?.type;
    if (typeof mark === "string") marks.add(mark);
    const values = (node.data as { values?: unknown } | undefined)?.values;
    if (Array.isArray(values)) rows += values.length;
    for (const child of ["layer", "concat", "hconcat", "vconcat"] as const) {
      const children = node[child];
      if (Array.isArray(children)) children.forEach((c) => c && typeof c === "object" && visit(c as VegaLiteSpec));
    }
    if (node.spec && typeof node.spec === "object") visit(node.spec as VegaLiteSpec);
  };
  visit(spec);
  const markText = marks.size > 0 ? `${[...marks].join(", ")} mark${marks.size === 1 ? "" : "s"}` : "no marks";
  return `${markText}; ${rows} data row${rows === 1 ? "" : "s"}`;
}
