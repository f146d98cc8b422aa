/**
 * The Vega-Lite equivalent of a Plotly figure, for static rendering in Node (vega renders SVG without a
 * browser; plotly.js cannot). Translated:
 * - scatter traces: lines, markers or both, dashed lines, colours (`line.color` or `marker.color`, when
 *   every trace has one), marker symbols and sizes, legend names, in one legend; non-finite points are gaps, as Plotly leaves them
 *   undrawn;
 * - contour traces: iso-lines at Plotly's levels (`contours.start/end/size`, else at most `ncontours` nice
 *   levels), coloured by level (viridis) — lines only, where Plotly fills the bands between them;
 * - heatmap traces: a rectangle per grid point, centred on it;
 * - the title, axis titles, linear/log axis types and axis ranges (marks outside are clipped).
 * Other trace types are an error naming the type, never a silently empty chart.
 */
import { contourLevels, isolines } from "./contours";
import { Json, PlotlyAxis, PlotlyFigure, PlotlyTrace, VegaLiteSpec } from "./types";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
/** Plotly's default number of automatic contour levels. */
const PLOTLY_NCONTOURS = 15;

const STATIC_TYPES: readonly string[] = ["scatter", "scattergl", "contour", "heatmap"];

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
  const xAxis = axisEncoding(layout.xaxis, "x");
  const yAxis = axisEncoding(layout.yaxis, "y");
  const grids: VegaLiteSpec[] = [];
  const points: Array<Record<string, Json>> = [];
  const dashed: string[] = [];
  const modes = new Map<string, string>();
  const colors = new Map<string, string>();
  const markers = new Map<string, { symbol?: string; size?: number }>();
  figure.data.forEach((trace, index) => {
    if (trace.type === "contour") {
      grids.push(contourLayer(trace, index, xAxis, yAxis));
      return;
    }
    if (trace.type === "heatmap") {
      grids.push(heatmapLayer(trace, index, xAxis, yAxis));
      return;
    }
    if (!STATIC_TYPES.includes(trace.type)) {
      throw new Error(`plotlyToVegaLite: trace ${index} has type "${trace.type}"; only ${STATIC_TYPES.join(", ")} traces have a static rendering`);
    }
    const name = trace.name ?? `trace ${index}`;
    const xs = trace.x ?? [];
    const ys = trace.y ?? [];
    ys.forEach((y, i) => {
      const x = xs[i] ?? i;
      if (Number.isFinite(x) && Number.isFinite(y)) points.push({ series: name, order: i, x, y });
    });
    if (trace.line?.dash && trace.line.dash !== "solid") dashed.push(name);
    modes.set(name, trace.mode ?? "lines");
    const color = trace.line?.color ?? trace.marker?.color;
    if (typeof color === "string") colors.set(name, color);
    if (trace.marker) markers.set(name, { symbol: trace.marker.symbol, size: trace.marker.size });
  });
  const series = modes.size > 0 ? seriesLayers(modes, colors, markers, dashed, xAxis, yAxis) : [];
  if (grids.length === 0 && series.length === 0) throw new Error("plotlyToVegaLite: the figure has no traces to draw");
  const title = layout.title?.text;
  const spec: VegaLiteSpec = {
    $schema: SCHEMA,
    ...(title ? { title } : {}),
    width: size.width ?? 480,
    height: size.height ?? 300,
    data: { values: points },
    config: { legend: { labelLimit: 320 } },
  };
  if (grids.length === 0) {
    spec.layer = series;
  } else {
    // the grids' colour scales (function values) are independent of the series' one (names); the series'
    // layers are grouped so their lines and markers still share one scale and one legend
    spec.layer = series.length > 0 ? [...grids, { layer: series }] : grids;
    spec.resolve = { scale: { color: "independent" } };
  }
  return spec;
}

/** Lines for the series drawn with lines, markers for those drawn with markers; one colour per series. */
function seriesLayers(modes: Map<string, string>, colors: Map<string, string>, markers: Map<string, { symbol?: string; size?: number }>, dashed: string[], xAxis: Json, yAxis: Json): VegaLiteSpec[] {
  const names = [...modes.keys()];
  // the traces' own colours when every trace has one, else Vega's palette
  const scale = colors.size === names.length ? { scale: { domain: names, range: names.map((n) => colors.get(n) as string) } } : {};
  const color = { field: "series", type: "nominal", title: null, sort: names, ...scale } as unknown as Json;
  const lineNames = names.filter((n) => (modes.get(n) ?? "lines").includes("lines"));
  const markerNames = names.filter((n) => (modes.get(n) ?? "").includes("markers"));
  const base = { x: xAxis, y: yAxis, color };
  const layers: VegaLiteSpec[] = [];
  if (lineNames.length > 0) {
    layers.push({
      transform: [{ filter: { field: "series", oneOf: lineNames } }],
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
  if (markerNames.length > 0) {
    const encoding: { [channel: string]: Json } = { ...base };
    const markerOf = (name: string) => markers.get(name) ?? {};
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
  return layers;
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

function axisEncoding(axis: PlotlyAxis | undefined, field: "x" | "y"): Json {
  const log = axis?.type === "log";
  // a log scale is not widened to whole decades (vega's default), as Plotly's autorange does not
  // (a few pixels of padding keep the end markers whole)
  const scale: { [key: string]: Json } = log ? { type: "log", nice: false, padding: 8 } : { zero: false };
  const range = axis?.range;
  if (Array.isArray(range) && range.length === 2 && range.every(Number.isFinite)) {
    // Plotly gives a log axis's range as log10 of the data
    scale.domain = log ? [10 ** range[0], 10 ** range[1]] : [range[0], range[1]];
    scale.nice = false;
    delete scale.padding;
  }
  return { field, type: "quantitative", title: axis?.title?.text ?? field, scale };
}

/** x (columns), y (rows) and z[rows][columns] of a grid trace, checked. */
function grid(trace: PlotlyTrace, index: number): { xs: number[]; ys: number[]; z: number[][] } {
  const { x: xs, y: ys, z } = trace;
  const numbers = (values: ReadonlyArray<number | null> | undefined): values is number[] => Array.isArray(values) && values.every(Number.isFinite);
  if (!Array.isArray(z) || !numbers(xs) || !numbers(ys) || xs.length < 2 || ys.length < 2 || z.length !== ys.length || z.some((row) => !Array.isArray(row) || row.length !== xs.length)) {
    throw new Error(`plotlyToVegaLite: trace ${index} (${trace.type}) needs finite x (>= 2 columns), y (>= 2 rows) and z[rows][columns] of matching sizes`);
  }
  return { xs, ys, z };
}

function colorTitle(trace: PlotlyTrace): string {
  const colorbar = trace.colorbar as { title?: { text?: unknown } } | undefined;
  const text = colorbar?.title?.text;
  return typeof text === "string" ? text : trace.name ?? "z";
}

/** A contour trace as its iso-lines: one polyline per connected piece, coloured by its level. */
function contourLayer(trace: PlotlyTrace, index: number, xAxis: Json, yAxis: Json): VegaLiteSpec {
  const { xs, ys, z } = grid(trace, index);
  const levels = levelsOf(trace, z, index);
  const values: Array<Record<string, Json>> = [];
  let line = 0;
  for (const level of levels) {
    for (const polyline of isolines(xs, ys, z, level)) {
      polyline.forEach(([x, y], order) => values.push({ x, y, level, line, order }));
      line++;
    }
  }
  return {
    data: { values },
    mark: { type: "line", clip: true, strokeWidth: 1 },
    encoding: {
      x: xAxis,
      y: yAxis,
      detail: { field: "line", type: "nominal" },
      order: { field: "order", type: "quantitative" },
      color: { field: "level", type: "quantitative", title: colorTitle(trace), scale: { scheme: "viridis" } },
    },
  };
}

function levelsOf(trace: PlotlyTrace, z: number[][], index: number): number[] {
  const { start, end, size } = trace.contours ?? {};
  if (start !== undefined && end !== undefined && size !== undefined) {
    if (!(Number.isFinite(start) && Number.isFinite(end) && size > 0 && end >= start)) {
      throw new Error(`plotlyToVegaLite: trace ${index} contours need finite start <= end and size > 0, got start ${start}, end ${end}, size ${size}`);
    }
    const levels: number[] = [];
    for (let k = 0; start + k * size <= end + size * 1e-9; k++) levels.push(start + k * size);
    return levels;
  }
  const count = trace.ncontours ?? PLOTLY_NCONTOURS;
  if (!Number.isInteger(count) || count < 1) throw new Error(`plotlyToVegaLite: trace ${index} ncontours must be an integer >= 1, got ${count}`);
  return contourLevels(z, count);
}

/** A heatmap trace as rectangles over its grid (cells centred on the grid points). */
function heatmapLayer(trace: PlotlyTrace, index: number, xAxis: Json, yAxis: Json): VegaLiteSpec {
  const { xs, ys, z } = grid(trace, index);
  const edges = (values: number[]) =>
    values.map((v, i) => {
      const before = i > 0 ? (v + values[i - 1]) / 2 : v - (values[1] - v) / 2;
      const after = i < values.length - 1 ? (v + values[i + 1]) / 2 : v + (v - values[i - 1]) / 2;
      return [before, after] as const;
    });
  const xEdges = edges(xs);
  const yEdges = edges(ys);
  const cells: Array<Record<string, Json>> = [];
  z.forEach((row, i) =>
    row.forEach((value, j) => {
      if (Number.isFinite(value)) cells.push({ x: xEdges[j][0], x2: xEdges[j][1], y: yEdges[i][0], y2: yEdges[i][1], z: value });
    }),
  );
  const color = { field: "z", type: "quantitative", title: colorTitle(trace), scale: { scheme: "viridis" } };
  return {
    data: { values: cells },
    mark: { type: "rect", clip: true },
    // a stroke in the cell's own colour closes the hairline seams anti-aliasing leaves between cells
    encoding: { x: xAxis, x2: { field: "x2" }, y: yAxis, y2: { field: "y2" }, color, stroke: { ...color, legend: null } },
  };
}
