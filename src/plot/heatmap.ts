/**
 * A matrix as coloured cells (a confusion matrix, a correlation matrix): z[i][j] is drawn in row i (row 0 at
 * the top) and column j, coloured along "blues" (default; white to dark blue) or "viridis" over the finite
 * values' range, and written in the cells (3 significant digits) when the matrix is at most 15 × 15 unless
 * `annotate` says otherwise. Non-finite values are empty cells, left out of the colour range. Rows and
 * columns are categories, labelled by their index unless labels are given.
 */
import { Chart } from "./chart";
import { BLUES, VIRIDIS, plotlyColorscale } from "./colors";
import { plotlyToVegaLite } from "./plotly-to-vega";
import { PlotlyFigure } from "./types";
import { checkBoolean, checkChoice, checkNumbers, checkTitle } from "./validate";
import { extent } from "./extent";
import { requireKnownKeys } from "../util/validate";

export interface HeatmapAxisOptions {
  title?: string;
  /** One label per column (x) or row (y), all different; default "0", "1", ... */
  labels?: readonly string[];
}

export interface HeatmapOptions {
  title?: string;
  /** The columns. */
  x?: HeatmapAxisOptions;
  /** The rows, row 0 at the top. */
  y?: HeatmapAxisOptions;
  /** Write each cell's value in it (default: when the matrix is at most 15 × 15). */
  annotate?: boolean;
  colorScale?: "blues" | "viridis";
}

const BUILDER = "heatmap";
const SCALES = { blues: BLUES, viridis: VIRIDIS } as const;
/** Matrices up to this many rows and columns have their values written in the cells by default. */
const ANNOTATE_UP_TO = 15;

/** A matrix as coloured cells: row 0 at the top, values written in the cells when the matrix is at most 15×15 (annotate overrides). */
export function heatmap(z: ReadonlyArray<readonly number[]>, options: HeatmapOptions = {}): Chart {
  requireKnownKeys(BUILDER, options, ["title", "x", "y", "annotate", "colorScale"]);
  checkTitle(BUILDER, "title", options.title);
  checkChoice(BUILDER, "colorScale", options.colorScale, ["blues", "viridis"]);
  checkBoolean(BUILDER, "annotate", options.annotate);
  if (!Array.isArray(z) || z.length === 0) throw new Error(`${BUILDER}: z must be a non-empty list of rows (arrays of numbers), got ${z === null ? "null" : Array.isArray(z) ? "an empty list" : typeof z}`);
  z.forEach((row, i) => {
    checkNumbers(`${BUILDER}: z[${i}]`, row);
    if (row.length === 0 || row.length !== z[0].length) throw new Error(`${BUILDER}: z[${i}] has ${row.length} values but z[0] has ${z[0].length}; every row needs one value per column (at least one)`);
  });
  const rows = z.length;
  const columns = z[0].length;
  const labels = (axis: "x" | "y", count: number): string[] => {
    const given = options[axis];
    if (given === undefined) return Array.from({ length: count }, (_, k) => String(k));
    requireKnownKeys(`${BUILDER}: ${axis}`, given, ["title", "labels"]);
    checkTitle(BUILDER, `${axis}.title`, given.title);
    if (given.labels === undefined) return Array.from({ length: count }, (_, k) => String(k));
    const what = axis === "x" ? "column" : "row";
    if (!Array.isArray(given.labels) || given.labels.length !== count || !given.labels.every((l) => typeof l === "string")) {
      throw new Error(`${BUILDER}: ${axis}.labels must be ${count} strings, one per ${what}, got ${JSON.stringify(given.labels)}`);
    }
    const repeated = given.labels.find((l, k) => given.labels?.indexOf(l) !== k);
    if (repeated !== undefined) throw new Error(`${BUILDER}: ${axis}.labels must all differ (each names one ${what}); ${JSON.stringify(repeated)} is repeated`);
    return [...given.labels];
  };
  const xLabels = labels("x", columns);
  const yLabels = labels("y", rows);
  const finite = z.flatMap((row) => row.filter(Number.isFinite));
  if (finite.length === 0) throw new Error(`${BUILDER}: z has no finite value to colour`);
  let [zmin, zmax] = extent(finite);
  if (zmin === zmax) [zmin, zmax] = [zmin - 0.5, zmax + 0.5];
  const annotate = options.annotate ?? (rows <= ANNOTATE_UP_TO && columns <= ANNOTATE_UP_TO);
  const values = z.map((row: readonly number[]) => row.map((v: number) => (Number.isFinite(v) ? v : null)));
  const figure: PlotlyFigure = {
    data: [
      {
        type: "heatmap",
        name: options.title ?? "z",
        x: xLabels,
        y: yLabels,
        z: values,
        zmin,
        zmax,
        colorscale: plotlyColorscale(SCALES[options.colorScale ?? "blues"]),
        colorbar: { title: { text: "value" } },
        hovertemplate: `${options.y?.title ?? "row"} %{y}, ${options.x?.title ?? "column"} %{x}: %{z}<extra></extra>`,
        ...(annotate ? { text: values.map((row) => row.map((v: number | null) => (v === null ? "" : format(v)))), texttemplate: "%{text}" } : {}),
      },
    ],
    layout: {
      ...(options.title ? { title: { text: options.title } } : {}),
      xaxis: { title: { text: options.x?.title ?? "column" }, type: "category" },
      // row 0 at the top, as a matrix is written; square cells
      yaxis: { title: { text: options.y?.title ?? "row" }, type: "category", autorange: "reversed", scaleanchor: "x" },
    },
  };
  // square cells, the larger side about 400 pixels
  const cell = Math.max(8, Math.min(48, Math.round(400 / Math.max(rows, columns))));
  return new Chart(plotlyToVegaLite(figure, { width: cell * columns, height: cell * rows }), figure, `${options.title ?? "heatmap"}: ${rows} × ${columns} cells`);
}

/** A cell's value as written: integers whole, others to 3 significant digits. */
function format(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}
