/**
 * A cell's outputs as HTML. A chart bundle carries the same chart up to three times (Vega-Lite, Plotly, an
 * SVG): the page draws one interactive view — Vega-Lite where the bundle has it (its libraries weigh a
 * sixth of plotly.js), else Plotly, and Plotly too for a slider only its figure can move — from the spec inlined once, and keeps the SVG as a separate file that
 * only a browser without JavaScript loads (`<noscript><img>`). Images are files too, so pages stay light.
 * Plotly's self-contained `text/html` (plotly.js inlined) is never used: the JSON figure is.
 */
import type MarkdownIt = require("markdown-it");
import katex from "katex";
import { Output, sourceText } from "../runner/nbformat";
import { stripAnsi } from "../runner/report";
import { PLOTLY_MIME, VEGA_LITE_MIME } from "../src/host/mime";
import { escapeHtml } from "./markdown";


/** What rendering a page's outputs produced besides its HTML. */
export interface OutputContext {
  md: MarkdownIt.MarkdownIt;
  /** Folder of the page's files, relative to the page ("figures/07-gradient-accumulation"). */
  filesDir: string;
  /** Files to write under filesDir: name → content. */
  files: Map<string, string | Buffer>;
  /** Libraries the page must load. */
  needs: Set<"vega" | "plotly">;
}

const IMAGE_TYPES: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif" };

export function renderOutputs(outputs: readonly Output[], context: OutputContext): string {
  return outputs.map((output) => renderOutput(output, context)).join("\n");
}

function renderOutput(output: Output, context: OutputContext): string {
  switch (output.output_type) {
    case "stream":
      return `<pre class="output stream ${output.name === "stderr" ? "stderr" : "stdout"}">${escapeHtml(stripAnsi(sourceText(output.text)))}</pre>`;
    case "error":
      return `<pre class="output error"><strong>${escapeHtml(`${output.ename}: ${output.evalue}`)}</strong>\n${escapeHtml(stripAnsi(output.traceback.join("\n")))}</pre>`;
    default:
      return renderBundle(output.data as Record<string, unknown>, context);
  }
}

/** The spec with every fraction cut to 6 significant digits (a pixel needs 4): a quarter lighter. */
export function compactNumbers(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? value : Number(value.toPrecision(6));
  if (Array.isArray(value)) return value.map(compactNumbers);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactNumbers(v)]));
  return value;
}

function text(value: unknown): string {
  return Array.isArray(value) ? value.join("") : typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function addFile(context: OutputContext, extension: string, content: string | Buffer): string {
  const name = `output-${context.files.size + 1}.${extension}`;
  context.files.set(name, content);
  return `${context.filesDir}/${name}`;
}

/**
 * The view a chart bundle gets: Vega-Lite, unless only the Plotly figure can be explored — a slider over
 * precomputed frames (sw.sliderChart) whose Vega-Lite translation shows one frame, without a parameter.
 */
function interactiveKind(data: Record<string, unknown>): "vega-lite" | "plotly" {
  const vegaLite = data[VEGA_LITE_MIME] as { params?: unknown } | undefined;
  if (vegaLite === undefined) return "plotly";
  const sliders = (data[PLOTLY_MIME] as { layout?: { sliders?: unknown } } | undefined)?.layout?.sliders;
  const plotlySlider = Array.isArray(sliders) && sliders.length > 0;
  const vegaLiteSlider = Array.isArray(vegaLite.params) && vegaLite.params.length > 0;
  return plotlySlider && !vegaLiteSlider ? "plotly" : "vega-lite";
}

function renderBundle(data: Record<string, unknown>, context: OutputContext): string {
  const alt = escapeHtml(text(data["text/plain"] ?? "output"));
  if (data[VEGA_LITE_MIME] !== undefined || data[PLOTLY_MIME] !== undefined) {
    const kind = interactiveKind(data);
    context.needs.add(kind === "vega-lite" ? "vega" : "plotly");
    const spec = JSON.stringify(compactNumbers(data[kind === "vega-lite" ? VEGA_LITE_MIME : PLOTLY_MIME])).replace(/</g, "\\u003c");
    const svg = data["image/svg+xml"];
    const fallback = svg === undefined ? `<p class="no-js">${alt}</p>` : `<img src="${addFile(context, "svg", text(svg))}" alt="${alt}">`;
    return `<figure class="output chart" data-kind="${kind}"><div class="chart-view"></div><script type="application/json" class="chart-spec">${spec}</script><noscript>${fallback}</noscript></figure>`;
  }
  for (const [mime, extension] of Object.entries(IMAGE_TYPES)) {
    if (typeof data[mime] === "string") {
      return `<img class="output image" src="${addFile(context, extension, Buffer.from(text(data[mime]).replace(/\s/g, ""), "base64"))}" alt="${alt}">`;
    }
  }
  if (data["image/svg+xml"] !== undefined) return `<img class="output image" src="${addFile(context, "svg", text(data["image/svg+xml"]))}" alt="${alt}">`;
  if (data["text/html"] !== undefined) return `<div class="output html">${text(data["text/html"])}</div>`;
  if (data["text/markdown"] !== undefined) return `<div class="output markdown">${context.md.render(text(data["text/markdown"]))}</div>`;
  if (data["text/latex"] !== undefined) {
    const tex = text(data["text/latex"]).trim().replace(/^\$\$?|\$\$?$/g, "");
    return `<div class="output latex">${katex.renderToString(tex, { displayMode: true, throwOnError: false })}</div>`;
  }
  if (data["application/json"] !== undefined) return `<pre class="output json">${escapeHtml(JSON.stringify(data["application/json"], null, 2))}</pre>`;
  if (data["text/plain"] !== undefined) return `<pre class="output text">${escapeHtml(stripAnsi(text(data["text/plain"])))}</pre>`;
  return "";
}
