/**
 * The chart data structures stepwise builds: a Vega-Lite v5 spec and a Plotly figure. Both are plain JSON,
 * so tests can inspect them and notebooks store them as they are.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A Vega-Lite v5 specification (the subset of fields stepwise writes is typed; the rest stays open). */
export interface VegaLiteSpec {
  $schema?: string;
  title?: string | { text: string; subtitle?: string };
  width?: number | "container";
  height?: number | "container";
  data?: { values: Array<Record<string, Json>> } | { name: string };
  mark?: string | { [key: string]: Json };
  encoding?: { [channel: string]: Json };
  layer?: VegaLiteSpec[];
  transform?: Json[];
  resolve?: { [key: string]: Json };
  config?: { [key: string]: Json };
  [key: string]: unknown;
}

export interface PlotlyAxis {
  title?: { text: string };
  type?: "linear" | "log";
  /** The visible window, in data units (Plotly: log10 of the data on a log axis). */
  range?: [number, number];
  [key: string]: Json | undefined;
}

/** One Plotly trace. stepwise draws scatter (lines/markers) and contour traces. */
export interface PlotlyTrace {
  type: "scatter" | "contour" | string;
  name?: string;
  mode?: "lines" | "markers" | "lines+markers" | string;
  x?: number[];
  /** null: a gap (Plotly leaves it undrawn; JSON has no NaN). */
  y?: Array<number | null>;
  z?: number[][];
  /** Contour traces: at most this many automatic levels (Plotly's default 15). */
  ncontours?: number;
  /** Contour traces: explicit levels start, start + size, ... up to end. */
  contours?: { start?: number; end?: number; size?: number; coloring?: "fill" | "heatmap" | "lines" | "none" };
  line?: { dash?: "solid" | "dash" | "dot" | string; color?: string; width?: number };
  marker?: { color?: string; size?: number; symbol?: string };
  showlegend?: boolean;
  [key: string]: unknown;
}

export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout?: { title?: { text: string }; xaxis?: PlotlyAxis; yaxis?: PlotlyAxis; [key: string]: unknown };
  config?: { [key: string]: Json };
}

/** A series of points for the line charts: x and y of equal length. */
export interface Series {
  name: string;
  x: readonly number[];
  y: readonly number[];
  /** Drawn dashed (e.g. validation curves). */
  dashed?: boolean;
  /** Lines (default), markers, or both. */
  mode?: "lines" | "markers" | "lines+markers";
  /** A CSS colour; by default the next of the Tableau 10 palette (a run's curves share their colour). */
  color?: string;
}

export interface AxisOptions {
  title?: string;
  log?: boolean;
}

export interface LineChartOptions {
  title?: string;
  x?: AxisOptions;
  y?: AxisOptions;
  width?: number;
  height?: number;
}
