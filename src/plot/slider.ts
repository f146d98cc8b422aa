/**
 * Precomputed charts as frames behind a slider (one frame per setting: step size, momentum, ...), so a reader
 * explores without a kernel.
 *
 * Plotly: every frame's traces in one figure (a trace all frames draw identically, such as a contour
 * background, once and always visible), only the active frame's visible, and `layout.sliders` with one
 * step per frame whose "update" sets the visibility (and the frame's title and annotations); the layout and
 * axes are the active frame's (axes without a fixed range rescale to the frame shown, as Plotly's do).
 * Vega-Lite: when the frames' specs differ only in their data (same builder, same series names), one spec
 * holds every frame's rows tagged with their frame (rows equal in every frame once, untagged) and filters them by a `frame` parameter bound to a range
 * input, so JupyterLab's native Vega-Lite view is explorable too; otherwise the active frame's spec. Either
 * way the static SVG shows the active frame, its label in the title.
 */
import { Chart } from "./chart";
import { Json, PlotlyFigure, PlotlyTrace, VegaLiteSpec } from "./types";
import { checkInteger, checkTitle } from "./validate";
import { requireKnownKeys } from "../util/validate";

export interface SliderFrame {
  /** The setting this frame shows, e.g. "lr 0.1"; the slider's tick. */
  label: string;
  /** A chart from any builder; all frames should share their axes. */
  chart: Chart;
}

export interface SliderChartOptions {
  /** The chart's title (default: each frame's own). */
  title?: string;
  /** What the slider varies, e.g. "step size" (default "frame"). */
  sliderLabel?: string;
  /** The frame shown first, and in the static SVG (default 0). */
  active?: number;
}

const BUILDER = "sliderChart";
/** The Vega-Lite parameter the slider sets, and the field tagging each row with its frame. */
const PARAM = "frame";
/** The owner of a trace every frame shares. */
const SHARED = -1;
const FIELD = "_frame";

/** Precomputed charts as frames behind a Plotly slider; the static SVG and Vega-Lite show the `active` frame. */
export function sliderChart(frames: ReadonlyArray<SliderFrame>, options: SliderChartOptions = {}): Chart {
  requireKnownKeys(BUILDER, options, ["title", "sliderLabel", "active"]);
  checkTitle(BUILDER, "title", options.title);
  checkTitle(BUILDER, "sliderLabel", options.sliderLabel);
  if (!Array.isArray(frames) || frames.length === 0) throw new Error(`${BUILDER}: frames must be a non-empty list of { label, chart }, got ${JSON.stringify(frames)}`);
  frames.forEach((frame, k) => {
    if (frame === null || typeof frame !== "object") throw new Error(`${BUILDER}: frames[${k}] must be { label, chart }, got ${frame === null ? "null" : typeof frame}`);
    requireKnownKeys(`${BUILDER}: frames[${k}]`, frame, ["label", "chart"]);
    if (typeof frame.label !== "string" || frame.label === "") throw new Error(`${BUILDER}: frames[${k}].label must be a non-empty string`);
    const chart = frame.chart as Partial<Chart> | null | undefined;
    if (!chart || typeof chart !== "object" || !Array.isArray(chart.plotly?.data) || !chart.vegaLite || typeof chart.vegaLite !== "object") {
      throw new Error(`${BUILDER}: frames[${k}].chart must be a chart from a builder (lineChart, spreadChart, histogram, ...)`);
    }
    if (chart.plotly?.layout?.sliders !== undefined) throw new Error(`${BUILDER}: frames[${k}].chart already has a slider; frames cannot be slider charts`);
  });
  const labels = frames.map((f) => f.label);
  const repeated = labels.find((label, k) => labels.indexOf(label) !== k);
  if (repeated !== undefined) throw new Error(`${BUILDER}: frame labels must differ (they name the slider's steps); ${JSON.stringify(repeated)} is repeated`);
  checkInteger(BUILDER, "active", options.active, 0, frames.length - 1);
  const active = options.active ?? 0;
  const sliderLabel = options.sliderLabel ?? "frame";
  for (const axis of ["xaxis", "yaxis"] as const) {
    const typeOf = (k: number) => frames[k].chart.plotly.layout?.[axis]?.type ?? "linear";
    const differs = frames.findIndex((_, k) => typeOf(k) !== typeOf(0));
    if (differs >= 0) throw new Error(`${BUILDER}: frames must share their axes, but frames[${differs}]'s ${axis[0]} axis is ${typeOf(differs)} where frames[0]'s is ${typeOf(0)}`);
  }

  const figures = frames.map((f) => JSON.parse(JSON.stringify(f.chart.plotly)) as PlotlyFigure);
  // a trace every frame has, identical (a contour background), is drawn once and shown in every frame
  const common = commonTraces(figures);
  const owner: number[] = []; // the frame a trace belongs to; SHARED: every frame
  const traces: PlotlyTrace[] = [];
  const shown: boolean[] = [];
  figures[active].data.forEach((trace) => {
    if (!common.has(JSON.stringify(trace))) return;
    owner.push(SHARED);
    shown.push(trace.visible !== false);
    traces.push({ ...trace, visible: trace.visible !== false });
  });
  figures.forEach((figure, k) =>
    figure.data.forEach((trace) => {
      if (common.has(JSON.stringify(trace))) return;
      owner.push(k);
      shown.push(trace.visible !== false);
      traces.push({ ...trace, visible: k === active && trace.visible !== false });
    }),
  );
  const titleOf = (k: number) => options.title ?? figures[k].layout?.title?.text ?? "";
  const steps = frames.map((frame, k) => ({
    label: frame.label,
    method: "update",
    args: [{ visible: owner.map((o, t) => (o === k || o === SHARED) && shown[t]) }, { title: { text: titleOf(k) }, annotations: figures[k].layout?.annotations ?? [] }],
  }));
  const figure: PlotlyFigure = {
    data: traces,
    layout: {
      ...figures[active].layout,
      title: { text: titleOf(active) },
      sliders: [{ active, currentvalue: { prefix: `${sliderLabel}: ` }, pad: { t: 40 }, steps }],
    },
  };
  const specs = frames.map((f) => f.chart.vegaLite);
  const heading = options.title ?? (typeof specs[active].title === "string" ? specs[active].title : "");
  const prefix = `${heading ? `${heading} — ` : ""}${sliderLabel}: `;
  const explorable = sameStructure(specs) && !specs.some(hasField);
  const vegaLite: VegaLiteSpec = explorable
    ? {
        ...(merge(specs as unknown as Json[], active) as VegaLiteSpec),
        title: { text: { expr: `${JSON.stringify(prefix)} + ${JSON.stringify(labels)}[${PARAM}]` } },
        params: [{ name: PARAM, value: active, bind: { input: "range", min: 0, max: frames.length - 1, step: 1, name: `${sliderLabel} (frame) ` } }],
      }
    : { ...specs[active], title: `${prefix}${labels[active]}` };
  return new Chart(vegaLite, figure, `${heading || "slider chart"}: ${frames.length} frames over ${sliderLabel}, showing ${labels[active]}`);
}

/** Traces (as JSON) that every frame has, identically; a trace repeated within one frame is not shared. */
function commonTraces(figures: readonly PlotlyFigure[]): Set<string> {
  const counts = figures.map((figure) => {
    const count = new Map<string, number>();
    for (const trace of figure.data) count.set(JSON.stringify(trace), (count.get(JSON.stringify(trace)) ?? 0) + 1);
    return count;
  });
  return new Set([...counts[0].keys()].filter((key) => counts.every((count) => count.get(key) === 1)));
}

/** A spec with every inline data set replaced by a marker and without its title: what must agree across frames. */
function skeleton(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(skeleton);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, key === "data" && isInline(value) ? "inline data" : skeleton(value)]));
}

function isInline(data: unknown): data is { values: Array<Record<string, Json>> } {
  return data !== null && typeof data === "object" && Array.isArray((data as { values?: unknown }).values);
}

function sameStructure(specs: readonly VegaLiteSpec[]): boolean {
  const shapes = specs.map(({ title: _title, ...rest }) => JSON.stringify(skeleton(rest)));
  return shapes.every((shape) => shape === shapes[0]);
}

/** Whether any inline row already has the frame field (then the rows cannot be tagged). */
function hasField(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasField);
  if (node === null || typeof node !== "object") return false;
  return Object.entries(node).some(([key, value]) => (key === "data" && isInline(value) ? value.values.some((row) => FIELD in row) : hasField(value)));
}

/**
 * The frames' specs (equal in structure) as one: each inline data set holds every frame's rows, tagged, and
 * its node filters them by the parameter first; everything else is the active frame's.
 */
function merge(nodes: Json[], active: number): Json {
  const first = nodes[active];
  if (Array.isArray(first)) return first.map((_, i) => merge(nodes.map((n) => (n as Json[])[i]), active));
  if (first === null || typeof first !== "object") return first;
  const objects = nodes as Array<{ [key: string]: Json }>;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(first)) {
    if (key === "data" && isInline(value) && objects.every((n) => JSON.stringify(n.data) === JSON.stringify(value))) {
      out.data = value; // the same rows in every frame (a background): kept once, not filtered
      if (first.transform !== undefined) out.transform = first.transform;
    } else if (key === "data" && isInline(value)) {
      out.data = { values: objects.flatMap((n, k) => (n.data as { values: Array<{ [key: string]: Json }> }).values.map((row) => ({ ...row, [FIELD]: k }))) };
      out.transform = [{ filter: `datum.${FIELD} == ${PARAM}` }, ...((first.transform as Json[] | undefined) ?? [])];
    } else if (key !== "transform" || !isInline(first.data)) {
      out[key] = merge(objects.map((n) => n[key]), active);
    }
  }
  return out;
}
