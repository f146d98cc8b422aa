/**
 * The Vega-Lite equivalent of a Plotly figure, for static rendering in Node (vega renders SVG without a
 * browser; plotly.js cannot). Translated:
 * - scatter traces: lines, markers or both, dashed lines, colours (`line.color` or `marker.color`, when
 *   every trace has one), marker symbols and sizes, legend names, in one legend (`showlegend: false` leaves a
 *   trace out of it); non-finite points are left out, as Plotly leaves them undrawn; a line of width 0 is not
 *   drawn; `fill: "tonexty"` fills the band between the previous trace and this one (`fillcolor`);
 *   `error_y` of type "data" (array / arrayminus) draws a vertical rule per point;
 * - bar traces: vertical bars from 0 (from the plot's bottom on a log y axis) spanning `width` around x,
 *   coloured like the series, with their `opacity`;
 * - contour, heatmap and image traces: see plotly-grids.ts;
 * - `visible: false` traces are skipped, as Plotly hides them;
 * - layout: the title, axis titles, linear/log/category axes, ranges (marks outside are clipped), reversed
 *   and hidden axes, and text annotations at data coordinates.
 * Other trace types are an error naming the type, never a silently empty chart.
 */
import { contourLayer, heatmapLayer, imageLayer, imageRow } from "./plotly-grids";
import { Json, PlotlyAnnotation, PlotlyFigure, PlotlyTrace, VegaLiteSpec } from "./types";
import { AxisEncoder, quantitativeAxis } from "./vega-axis";
import { extent } from "./extent";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

const STATIC_TYPES: readonly string[] = ["scatter", "scattergl", "bar", "contour", "heatmap", "image"];

type Row = Record<string, Json>;

/** Why a figure has no static rendering (a trace type the translation does not know), or undefined. */
export function staticRenderingGap(figure: PlotlyFigure): string | undefined {
  const index = figure.data.findIndex((trace) => !STATIC_TYPES.includes(trace?.type));
  return index < 0 ? undefined : `trace ${index} has type ${JSON.stringify(figure.data[index]?.type)}`;
}

export function plotlyToVegaLite(figure: PlotlyFigure, size: { width?: number; height?: number } = {}): VegaLiteSpec {
  if (figure === null || typeof figure !== "object" || !Array.isArray(figure.data)) {
    throw new Error("plotlyToVegaLite: the figure must be an object with a data array of traces ({ data, layout?, config? })");
  }
  const layout = figure.layout ?? {};
  const x = quantitativeAxis(layout.xaxis, "x");
  const y = quantitativeAxis(layout.yaxis, "y");
  const grids: VegaLiteSpec[] = [];
  const images: Row[] = [];
  const marks = new SeriesMarks();
  let previous: PlotlyTrace | undefined;
  figure.data.forEach((trace, index) => {
    if (trace === null || typeof trace !== "object") throw new Error(`plotlyToVegaLite: trace ${index} must be an object, got ${trace === null ? "null" : typeof trace}`);
    if (!STATIC_TYPES.includes(trace.type)) {
      throw new Error(`plotlyToVegaLite: trace ${index} has type "${trace.type}"; only ${STATIC_TYPES.join(", ")} traces have a static rendering`);
    }
    if (trace.visible === false || trace.visible === "legendonly") return;
    if (trace.type === "contour") grids.push(contourLayer(trace, index, x, y));
    else if (trace.type === "heatmap") grids.push(heatmapLayer(trace, index, layout.xaxis, layout.yaxis));
    else if (trace.type === "image") images.push(imageRow(trace, index));
    else if (trace.type === "bar") marks.bar(trace, index);
    else {
      marks.scatter(trace, index, previous);
      previous = trace;
    }
  });
  if (images.length > 0) grids.push(imageLayer(images, x, y));
  const series = marks.layers(x, y, layout.yaxis?.type === "log");
  const notes = annotationLayers(layout.annotations, x, y);
  if (grids.length === 0 && series.length === 0) throw new Error("plotlyToVegaLite: the figure has no traces to draw");
  const title = layout.title?.text;
  const spec: VegaLiteSpec = {
    $schema: SCHEMA,
    ...(title ? { title } : {}),
    width: size.width ?? 480,
    height: size.height ?? 300,
    data: { values: marks.points },
    config: { legend: { labelLimit: 320 } },
  };
  if (grids.length === 0) {
    spec.layer = [...series, ...notes];
  } else {
    // the grids' colour scales (function values) are independent of the series' one (names); the series'
    // layers are grouped so their lines and markers still share one scale and one legend
    spec.layer = [...grids, ...(series.length > 0 ? [{ layer: series }] : []), ...notes];
    spec.resolve = { scale: { color: "independent" } };
  }
  return spec;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The series marks of a figure (scatter and bar traces), collected trace by trace, then drawn as layers. */
class SeriesMarks {
  /** Line and marker points: the spec's top-level data. */
  readonly points: Row[] = [];
  private readonly names: string[] = [];
  private readonly colors = new Map<string, string>();
  private readonly hidden = new Set<string>();
  private readonly lineNames: string[] = [];
  private readonly markerNames: string[] = [];
  private readonly dashed: string[] = [];
  private readonly markers = new Map<string, { symbol?: string; size?: number }>();
  private readonly bars: Row[] = [];
  private readonly bands: Row[] = [];
  private readonly bandColors: string[] = [];
  private readonly errors: Row[] = [];

  /** A legend entry (one colour) for the trace's name. */
  private entry(trace: PlotlyTrace, index: number, color: unknown): string {
    const name = trace.name ?? `trace ${index}`;
    if (!this.names.includes(name)) this.names.push(name);
    if (typeof color === "string") this.colors.set(name, color);
    if (trace.showlegend === false) this.hidden.add(name);
    return name;
  }

  scatter(trace: PlotlyTrace, index: number, previous: PlotlyTrace | undefined): void {
    const xs = trace.x ?? [];
    const ys = trace.y ?? [];
    const at = (i: number) => xs[i] ?? i;
    if (trace.fill !== undefined && trace.fill !== "none" && trace.fill !== "tonexty") {
      throw new Error(`plotlyToVegaLite: trace ${index} fill ${JSON.stringify(trace.fill)} is not translated; "tonexty" is`);
    }
    if (trace.fill === "tonexty" && previous) {
      const lows = previous.y ?? [];
      if (lows.length !== ys.length || (previous.x ?? []).some((v, i) => v !== at(i))) {
        throw new Error(`plotlyToVegaLite: trace ${index} fills "tonexty" to trace ${index - 1}, which must have the same x`);
      }
      const band = String(this.bandColors.length);
      this.bandColors.push(trace.fillcolor ?? "rgba(128,128,128,0.3)");
      ys.forEach((hi, i) => {
        const lo = lows[i];
        if (finite(at(i)) && finite(lo) && finite(hi)) this.bands.push({ band, x: at(i), lo, hi });
      });
    }
    const mode = trace.mode ?? "lines";
    const drawsLine = mode.includes("lines") && trace.line?.width !== 0;
    const drawsMarkers = mode.includes("markers");
    const errorY = trace.error_y;
    const drawsErrors = errorY !== undefined && errorY.visible !== false && Array.isArray(errorY.array);
    if (!drawsLine && !drawsMarkers && !drawsErrors) return;
    const name = this.entry(trace, index, trace.line?.color ?? trace.marker?.color);
    if (drawsLine || drawsMarkers) {
      ys.forEach((v, i) => {
        if (finite(at(i)) && finite(v)) this.points.push({ series: name, order: i, x: at(i), y: v });
      });
    }
    if (drawsLine && !this.lineNames.includes(name)) this.lineNames.push(name);
    if (drawsLine && trace.line?.dash && trace.line.dash !== "solid") this.dashed.push(name);
    if (drawsMarkers && !this.markerNames.includes(name)) this.markerNames.push(name);
    if (drawsMarkers && trace.marker) this.markers.set(name, { symbol: trace.marker.symbol, size: trace.marker.size });
    if (drawsErrors) {
      const above = errorY.array ?? [];
      const below = errorY.symmetric === false ? (errorY.arrayminus ?? []) : above;
      ys.forEach((v, i) => {
        const [up, down] = [above[i], below[i]];
        if (finite(at(i)) && finite(v) && finite(up) && finite(down)) this.errors.push({ series: name, x: at(i), lo: v - down, hi: v + up });
      });
    }
  }

  bar(trace: PlotlyTrace, index: number): void {
    if (trace.orientation !== undefined && trace.orientation !== "v") throw new Error(`plotlyToVegaLite: trace ${index} (bar) orientation ${JSON.stringify(trace.orientation)} is not translated; vertical bars are`);
    const xs = trace.x ?? [];
    const ys = trace.y ?? [];
    const centres = xs.filter(finite).sort((a, b) => a - b);
    const gaps = centres.slice(1).map((c, i) => c - centres[i]).filter((g) => g > 0);
    // Plotly's default: bars 80% of the closest spacing wide
    const fallback = gaps.length > 0 ? 0.8 * extent(gaps)[0] : 0.8;
    const widthAt = (i: number) => (Array.isArray(trace.width) ? trace.width[i] : trace.width ?? fallback);
    const name = this.entry(trace, index, trace.marker?.color);
    const opacity = trace.opacity ?? 1;
    ys.forEach((v, i) => {
      const [c, w] = [xs[i], widthAt(i)];
      if (finite(c) && finite(v) && finite(w)) this.bars.push({ series: name, x: c - w / 2, x2: c + w / 2, y: v, opacity });
    });
  }

  /** Bands, bars, lines, markers and error bars, sharing one colour scale (the legend) by series name. */
  layers(x: AxisEncoder, y: AxisEncoder, logY: boolean): VegaLiteSpec[] {
    const layers: VegaLiteSpec[] = [];
    if (this.bands.length > 0) {
      const domain = this.bandColors.map((_, k) => String(k));
      layers.push({
        data: { values: this.bands },
        mark: { type: "area", clip: true },
        encoding: {
          x: x("x"),
          y: y("lo"),
          y2: { field: "hi" },
          fill: { field: "band", type: "nominal", scale: { domain, range: this.bandColors }, legend: null },
          // (an area joins its points in x order; an order channel would split it into stacks)
          detail: { field: "band", type: "nominal" },
        },
      });
    }
    const names = this.names;
    if (names.length === 0) return layers;
    // the traces' own colours when every trace has one, else Vega's palette
    const scale = this.colors.size === names.length ? { scale: { domain: names, range: names.map((n) => this.colors.get(n) as string) } } : {};
    const shown = names.filter((n) => !this.hidden.has(n));
    const legend = this.hidden.size === 0 ? {} : { legend: shown.length > 0 ? { values: shown } : null };
    const color = { field: "series", type: "nominal", title: null, sort: names, ...scale, ...legend } as unknown as Json;
    if (this.bars.length > 0) {
      layers.push({
        data: { values: logY ? this.bars.filter((b) => (b.y as number) > 0) : this.bars },
        mark: { type: "rect", clip: true },
        encoding: {
          x: x("x"),
          x2: { field: "x2" },
          y: y("y"),
          // a log axis has no 0: bars stand on the plot's bottom, as Plotly draws them
          y2: logY ? { value: "height" } : { datum: 0 },
          color,
          opacity: { field: "opacity", type: "quantitative", scale: null, legend: null },
        },
      });
    }
    const base = { x: x("x"), y: y("y"), color };
    if (this.lineNames.length > 0) {
      const dashed = this.dashed;
      layers.push({
        transform: [{ filter: { field: "series", oneOf: this.lineNames } }],
        mark: { type: "line", clip: true },
        encoding: {
          ...base,
          order: { field: "order", type: "quantitative" },
          strokeDash: dashed.length
            ? { condition: { test: `indexof(${JSON.stringify(dashed)}, datum.series) >= 0`, value: [6, 4] }, value: [1, 0] }
            : { value: [1, 0] },
        },
      });
    }
    if (this.markerNames.length > 0) {
      const markerNames = this.markerNames;
      const encoding: { [channel: string]: Json } = { ...base };
      const markerOf = (name: string) => this.markers.get(name) ?? {};
      if (markerNames.some((n) => markerOf(n).symbol !== undefined)) {
        const range = markerNames.map((n) => SYMBOLS[markerOf(n).symbol ?? "circle"] ?? "circle");
        encoding.shape = { field: "series", type: "nominal", scale: { domain: markerNames, range }, legend: null };
      }
      if (markerNames.some((n) => markerOf(n).size !== undefined)) {
        // Plotly's size is a diameter in pixels (default 6), Vega's an area
        const range = markerNames.map((n) => (markerOf(n).size ?? 6) ** 2);
        encoding.size = { field: "series", type: "ordinal", sort: markerNames, scale: { type: "ordinal", domain: markerNames, range }, legend: null };
      }
      layers.push({
        transform: [{ filter: { field: "series", oneOf: markerNames } }],
        mark: { type: "point", filled: true, clip: true },
        encoding,
      });
    }
    if (this.errors.length > 0) {
      layers.push({ data: { values: this.errors }, mark: { type: "rule", clip: true }, encoding: { x: x("x"), y: y("lo"), y2: { field: "hi" }, color } });
    }
    return layers;
  }
}

/** Plotly marker symbols as Vega shapes (a star as an SVG path in the unit square). */
const SYMBOLS: Record<string, string> = {
  circle: "circle",
  square: "square",
  diamond: "diamond",
  cross: "cross",
  "triangle-up": "triangle-up",
  "triangle-down": "triangle-down",
  star: "M0,-1L0.2245,-0.309L0.9511,-0.309L0.3633,0.118L0.5878,0.809L0,0.382L-0.5878,0.809L-0.3633,0.118L-0.9511,-0.309L-0.2245,-0.309Z",
};

const ALIGN: Record<string, string> = { left: "left", center: "center", right: "right", auto: "center" };
const BASELINE: Record<string, string> = { top: "top", middle: "middle", bottom: "bottom", auto: "middle" };

/** Text annotations at data coordinates, as text marks (one layer per anchoring). */
function annotationLayers(annotations: PlotlyAnnotation[] | undefined, x: AxisEncoder, y: AxisEncoder): VegaLiteSpec[] {
  if (annotations === undefined) return [];
  if (!Array.isArray(annotations)) throw new Error("plotlyToVegaLite: layout.annotations must be a list");
  const groups = new Map<string, Row[]>();
  annotations.forEach((a, i) => {
    if ((a.xref ?? "x") !== "x" || (a.yref ?? "y") !== "y" || a.showarrow !== false || !finite(a.x) || !finite(a.y)) {
      throw new Error(`plotlyToVegaLite: layout.annotations[${i}] must be text at data coordinates (finite x and y, xref "x", yref "y", showarrow false)`);
    }
    const key = JSON.stringify([ALIGN[a.xanchor ?? "center"] ?? "center", BASELINE[a.yanchor ?? "middle"] ?? "middle", a.font?.size ?? 12, a.font?.color ?? "#000000"]);
    groups.set(key, [...(groups.get(key) ?? []), { x: a.x, y: a.y, text: String(a.text) }]);
  });
  return [...groups].map(([key, values]) => {
    const [align, baseline, fontSize, color] = JSON.parse(key) as [string, string, number, string];
    return { data: { values }, mark: { type: "text", align, baseline, fontSize, color }, encoding: { x: x("x"), y: y("y"), text: { field: "text", type: "nominal" } } };
  });
}
