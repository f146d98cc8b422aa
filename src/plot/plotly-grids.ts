/**
 * Plotly's grid traces as Vega-Lite layers, for plotlyToVegaLite:
 * - contour: the iso-lines at Plotly's levels (`contours.start/end/size`, else at most `ncontours` nice
 *   levels), coloured by level (viridis) — lines only, where Plotly fills the bands between them;
 * - heatmap: a rectangle per cell, centred on its grid point (numeric x/y) or filling its band (category
 *   x/y); colours from `colorscale` (stops [[t, colour], ...] over [zmin, zmax], else viridis), and the
 *   cell texts of `texttemplate` "%{text}" or "%{z}" in black or white, whichever reads on the cell;
 * - image: the picture of its `source` (a PNG data URL) over its pixels' extent, from x0, y0, dx, dy.
 */
import { VIRIDIS, colorAt, textColorOn } from "./colors";
import { contourLevels, isolines } from "./contours";
import { pngSize } from "./png";
import { Json, PlotlyAxis, PlotlyTrace, VegaLiteSpec } from "./types";
import { AxisEncoder, categoryAxis, quantitativeAxis } from "./vega-axis";
import { extent } from "./extent";

/** Plotly's default number of automatic contour levels. */
const PLOTLY_NCONTOURS = 15;

type Row = Record<string, Json>;

const finiteNumbers = (values: unknown): values is number[] => Array.isArray(values) && values.every((v) => typeof v === "number" && Number.isFinite(v));

/** x (columns), y (rows) and z[rows][columns] of a grid trace, checked; z's non-finite values stay (gaps). */
function grid(trace: PlotlyTrace, index: number, labelsAllowed: boolean): { xs: Array<number | string>; ys: Array<number | string>; z: number[][] } {
  const { x: xs, y: ys, z } = trace;
  const labels = (values: unknown): values is string[] => labelsAllowed && Array.isArray(values) && values.every((v) => typeof v === "string");
  const axisOk = (values: unknown, min: number): values is Array<number | string> => (finiteNumbers(values) && values.length >= min) || (labels(values) && values.length >= 1);
  if (!Array.isArray(z) || !axisOk(xs, 2) || !axisOk(ys, 2) || z.length !== ys.length || z.some((row) => !Array.isArray(row) || row.length !== xs.length)) {
    throw new Error(`plotlyToVegaLite: trace ${index} (${trace.type}) needs finite x (>= 2 columns), y (>= 2 rows) and z[rows][columns] of matching sizes`);
  }
  const unique = (values: Array<number | string>) => new Set(values).size === values.length;
  if (!unique(xs) || !unique(ys)) throw new Error(`plotlyToVegaLite: trace ${index} (${trace.type}) has a repeated x or y value; each column and row needs its own`);
  return { xs, ys, z: z.map((row) => row.map((v) => (typeof v === "number" ? v : Number.NaN))) };
}

function colorTitle(trace: PlotlyTrace): string {
  const colorbar = trace.colorbar as { title?: { text?: unknown } } | undefined;
  const text = colorbar?.title?.text;
  return typeof text === "string" ? text : trace.name ?? "z";
}

/** A contour trace as its iso-lines: one polyline per connected piece, coloured by its level. */
export function contourLayer(trace: PlotlyTrace, index: number, x: AxisEncoder, y: AxisEncoder): VegaLiteSpec {
  const { xs, ys, z } = grid(trace, index, false) as { xs: number[]; ys: number[]; z: number[][] };
  const levels = levelsOf(trace, z, index);
  const values: Row[] = [];
  let line = 0;
  for (const level of levels) {
    for (const polyline of isolines(xs, ys, z, level)) {
      polyline.forEach(([px, py], order) => values.push({ x: px, y: py, level, line, order }));
      line++;
    }
  }
  return {
    data: { values },
    mark: { type: "line", clip: true, strokeWidth: 1 },
    encoding: {
      x: x("x"),
      y: y("y"),
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

/** Each value's cell [before, after] along a numeric axis: halfway to its neighbours. */
function edges(values: number[]): Array<[number, number]> {
  return values.map((v, i) => {
    const before = i > 0 ? (v + values[i - 1]) / 2 : v - (values[1] - v) / 2;
    const after = i < values.length - 1 ? (v + values[i + 1]) / 2 : v + (v - values[i - 1]) / 2;
    return [before, after];
  });
}

/** A heatmap trace as rectangles over its grid, with the cells' texts when it has a texttemplate. */
export function heatmapLayer(trace: PlotlyTrace, index: number, xAxis: PlotlyAxis | undefined, yAxis: PlotlyAxis | undefined): VegaLiteSpec {
  const { xs, ys, z } = grid(trace, index, true);
  const finite = z.flat().filter(Number.isFinite);
  const [low, high] = extent(finite);
  const zmin = typeof trace.zmin === "number" ? trace.zmin : low;
  const zmax = typeof trace.zmax === "number" ? trace.zmax : high;
  const stops = colorStops(trace, index);
  const texts = cellTexts(trace, index, z);
  // per axis: a category per label, or a numeric cell [before, after] per grid point
  const axis = (values: Array<number | string>, plotly: PlotlyAxis | undefined, name: "x" | "y") => {
    if (typeof values[0] === "string") {
      const encode = categoryAxis(plotly, name, values as string[]);
      return { at: (i: number): Row => ({ [name]: values[i] }), encoding: { [name]: encode(name) }, centre: { [name]: encode(name) } };
    }
    const encode = quantitativeAxis(plotly, name);
    const cells = edges(values as number[]);
    return {
      at: (i: number): Row => ({ [name]: cells[i][0], [`${name}2`]: cells[i][1], [`${name}c`]: values[i] }),
      encoding: { [name]: encode(name), [`${name}2`]: { field: `${name}2` } },
      centre: { [name]: encode(`${name}c`) },
    };
  };
  const across = axis(xs, xAxis, "x");
  const down = axis(ys, yAxis, "y");
  const cells: Row[] = [];
  z.forEach((row, i) =>
    row.forEach((value, j) => {
      if (!Number.isFinite(value)) return;
      const t = zmax > zmin ? (value - zmin) / (zmax - zmin) : 0.5;
      const text = texts?.[i][j];
      cells.push({ ...across.at(j), ...down.at(i), z: value, ...(text !== undefined ? { text, textColor: textColorOn(colorAt(stops ?? VIRIDIS, t)) } : {}) });
    }),
  );
  const scale: { [key: string]: Json } = stops
    ? { domain: stops.map((_, k) => zmin + ((zmax - zmin) * k) / (stops.length - 1)), range: [...stops], interpolate: "rgb" }
    : { scheme: "viridis", ...(typeof trace.zmin === "number" && typeof trace.zmax === "number" ? { domain: [trace.zmin, trace.zmax] } : {}) };
  const color = { field: "z", type: "quantitative", title: colorTitle(trace), scale };
  const rect: VegaLiteSpec = {
    mark: { type: "rect", clip: true },
    // a stroke in the cell's own colour closes the hairline seams anti-aliasing leaves between cells
    encoding: { ...across.encoding, ...down.encoding, color, stroke: { ...color, legend: null } },
  };
  if (!texts) return { data: { values: cells }, ...rect };
  const label: VegaLiteSpec = {
    mark: { type: "text", fontSize: 11 },
    encoding: { ...across.centre, ...down.centre, text: { field: "text", type: "nominal" }, fill: { field: "textColor", type: "nominal", scale: null, legend: null } },
  };
  return { data: { values: cells }, layer: [rect, label] };
}

/** A heatmap's colour stops from `colorscale` [[t, colour], ...] (evenly spaced #rrggbb stops), else undefined (viridis). */
function colorStops(trace: PlotlyTrace, index: number): string[] | undefined {
  const scale = trace.colorscale;
  if (!Array.isArray(scale)) return undefined;
  const ok =
    scale.length >= 2 &&
    scale.every((stop, k) => Array.isArray(stop) && Math.abs(stop[0] - k / (scale.length - 1)) < 1e-9 && typeof stop[1] === "string" && /^#[0-9a-f]{6}$/i.test(stop[1]));
  if (!ok) throw new Error(`plotlyToVegaLite: trace ${index} colorscale must be evenly spaced stops [[0, "#rrggbb"], ..., [1, "#rrggbb"]], got ${JSON.stringify(scale)}`);
  return scale.map((stop) => stop[1]);
}

/** The text written in each cell (texttemplate "%{text}" or "%{z}"), or undefined when none is. */
function cellTexts(trace: PlotlyTrace, index: number, z: number[][]): string[][] | undefined {
  const template = trace.texttemplate;
  if (template === undefined || template === "") return undefined;
  if (template === "%{z}") return z.map((row) => row.map((v) => String(v)));
  if (template !== "%{text}") throw new Error(`plotlyToVegaLite: trace ${index} texttemplate ${JSON.stringify(template)} is not translated; "%{text}" and "%{z}" are`);
  const text = trace.text;
  if (!Array.isArray(text) || text.length !== z.length || !(text as unknown[]).every((row, i) => Array.isArray(row) && row.length === z[i].length)) {
    throw new Error(`plotlyToVegaLite: trace ${index} texttemplate "%{text}" needs text[rows][columns] of z's size`);
  }
  return (text as string[][]).map((row) => row.map(String));
}

/** The extent and picture of an image trace (its source a PNG data URL). */
export function imageRow(trace: PlotlyTrace, index: number): Row {
  const size = typeof trace.source === "string" ? pngSize(trace.source) : undefined;
  if (!size) throw new Error(`plotlyToVegaLite: trace ${index} (image) needs source as a PNG data URL ("data:image/png;base64,..."); z-valued images are not translated`);
  const { x0 = 0, y0 = 0, dx = 1, dy = 1 } = trace;
  // pixel (i, j) is centred at (x0 + j·dx, y0 + i·dy)
  return { url: trace.source as string, x: x0 - dx / 2, x2: x0 - dx / 2 + size.width * dx, y: y0 - dy / 2, y2: y0 - dy / 2 + size.height * dy };
}

/** Image traces (rows of imageRow) as one layer of image marks, pixels kept sharp. */
export function imageLayer(rows: Row[], x: AxisEncoder, y: AxisEncoder): VegaLiteSpec {
  return {
    data: { values: rows },
    // (no ARIA label: it would repeat each image's data URL in the SVG)
    mark: { type: "image", aspect: false, smooth: false, aria: false },
    encoding: { x: x("x"), x2: { field: "x2" }, y: y("y"), y2: { field: "y2" }, url: { field: "url", type: "nominal" } },
  };
}
