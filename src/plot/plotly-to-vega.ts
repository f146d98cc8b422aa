/**
 * The Vega-Lite equivalent of a Plotly figure, for static rendering in Node (vega renders SVG without a
 * browser; plotly.js cannot). Translated: scatter traces (lines, markers or both; dashed lines; legend
 * names), contour traces (drawn as a filled heatmap of z, not as iso-lines), the title, axis titles and
 * linear/log axis types. Other trace types are an error naming the type, never a silently empty chart.
 */
import { Json, PlotlyAxis, PlotlyFigure, PlotlyTrace, VegaLiteSpec } from "./types";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export function plotlyToVegaLite(figure: PlotlyFigure, size: { width?: number; height?: number } = {}): VegaLiteSpec {
  const layout = figure.layout ?? {};
  const xAxis = axisEncoding(layout.xaxis, "x");
  const yAxis = axisEncoding(layout.yaxis, "y");
  const layers: VegaLiteSpec[] = [];
  const points: Array<Record<string, Json>> = [];
  const dashed: string[] = [];
  const modes = new Map<string, string>();
  figure.data.forEach((trace, index) => {
    if (trace.type === "contour" || trace.type === "heatmap") {
      layers.unshift(heatmapLayer(trace, xAxis, yAxis));
      return;
    }
    if (trace.type !== "scatter" && trace.type !== "scattergl") {
      throw new Error(`plotlyToVegaLite: trace ${index} has type "${trace.type}"; only scatter, contour and heatmap traces have a static rendering`);
    }
    const name = trace.name ?? `trace ${index}`;
    const xs = trace.x ?? [];
    const ys = trace.y ?? [];
    ys.forEach((y, i) => {
      const x = xs[i] ?? i;
      // gaps (NaN, Infinity: a diverged run) are left out, as Plotly leaves them undrawn
      if (Number.isFinite(x) && Number.isFinite(y)) points.push({ series: name, order: i, x, y });
    });
    if (trace.line?.dash && trace.line.dash !== "solid") dashed.push(name);
    modes.set(name, trace.mode ?? "lines");
  });
  if (points.length > 0) {
    const seriesNames = [...modes.keys()];
    const color = { field: "series", type: "nominal", title: null, sort: seriesNames } as unknown as Json;
    const lineNames = seriesNames.filter((n) => (modes.get(n) ?? "lines").includes("lines"));
    const markerNames = seriesNames.filter((n) => (modes.get(n) ?? "").includes("markers"));
    const base = { x: xAxis, y: yAxis, color };
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
      layers.push({
        transform: [{ filter: { field: "series", oneOf: markerNames } }],
        mark: { type: "point", filled: true, clip: true },
        encoding: base,
      });
    }
  }
  if (layers.length === 0) throw new Error("plotlyToVegaLite: the figure has no traces to draw");
  const title = layout.title?.text;
  const spec: VegaLiteSpec = {
    $schema: SCHEMA,
    ...(title ? { title } : {}),
    width: size.width ?? 480,
    height: size.height ?? 300,
    data: { values: points },
    layer: layers,
  };
  if (layers.some((l) => l.mark === "rect" || (typeof l.mark === "object" && l.mark?.type === "rect")) && points.length > 0) {
    spec.resolve = { scale: { color: "independent" } };
  }
  return spec;
}

function axisEncoding(axis: PlotlyAxis | undefined, field: "x" | "y"): Json {
  const encoding: { [key: string]: Json } = { field, type: "quantitative", title: axis?.title?.text ?? field };
  encoding.scale = axis?.type === "log" ? { type: "log" } : { zero: false };
  return encoding;
}

/** A contour or heatmap trace as rectangles over its grid (cells centred on the grid points). */
function heatmapLayer(trace: PlotlyTrace, xAxis: Json, yAxis: Json): VegaLiteSpec {
  const z = trace.z;
  const xs = trace.x;
  const ys = trace.y;
  if (!Array.isArray(z) || !Array.isArray(xs) || !Array.isArray(ys) || z.length !== ys.length || z.some((row) => row.length !== xs.length)) {
    throw new Error(`plotlyToVegaLite: a ${trace.type} trace needs x (columns), y (rows) and z[rows][columns] of matching sizes`);
  }
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
  const colorTitle = typeof trace.colorbar === "object" && trace.colorbar && "title" in trace.colorbar ? (trace.colorbar as { title?: { text?: string } }).title?.text : undefined;
  return {
    data: { values: cells },
    mark: { type: "rect", clip: true },
    encoding: {
      x: xAxis,
      x2: { field: "x2" },
      y: yAxis,
      y2: { field: "y2" },
      color: { field: "z", type: "quantitative", title: colorTitle ?? trace.name ?? "z", scale: { scheme: "viridis" } },
    },
  };
}
