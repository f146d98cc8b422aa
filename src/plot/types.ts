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
  type?: "linear" | "log" | "category";
  /** The visible window, in data units (Plotly: log10 of the data on a log axis); [high, low] reverses it. */
  range?: [number, number];
  /** "reversed": the axis runs from high to low (a heatmap's rows from the top). */
  autorange?: boolean | "reversed";
  /** false: no axis line, ticks or title (imageGrid). */
  visible?: boolean;
  [key: string]: Json | undefined;
}

/**
 * One Plotly trace. stepwise draws scatter (lines, markers, min–max bands, error bars), bar, contour, heatmap
 * and image traces; the fields typed here are the ones stepwise writes and translates.
 */
export interface PlotlyTrace {
  type: "scatter" | "bar" | "contour" | "heatmap" | "image" | string;
  name?: string;
  mode?: "lines" | "markers" | "lines+markers" | string;
  /** false: not drawn (a sliderChart's hidden frames). */
  visible?: boolean | "legendonly";
  /** Numbers, or category labels (a heatmap's columns); null: a gap. */
  x?: Array<number | string | null>;
  /** null: a gap (Plotly leaves it undrawn; JSON has no NaN). */
  y?: Array<number | string | null>;
  /** Grid values z[row][column]; null: an empty cell. */
  z?: Array<Array<number | null>>;
  /** Contour traces: at most this many automatic levels (Plotly's default 15). */
  ncontours?: number;
  /** Contour traces: explicit levels start, start + size, ... up to end. */
  contours?: { start?: number; end?: number; size?: number; coloring?: "fill" | "heatmap" | "lines" | "none" };
  line?: { dash?: "solid" | "dash" | "dot" | string; color?: string; width?: number };
  marker?: { color?: string; size?: number; symbol?: string; line?: { width?: number; color?: string } };
  /** Scatter traces: "tonexty" fills the band between the previous trace and this one. */
  fill?: "none" | "tonexty" | string;
  fillcolor?: string;
  /** Error bars: y + array above, y − arrayminus below (type "data"). */
  error_y?: { type?: "data" | string; array?: Array<number | null>; arrayminus?: Array<number | null>; symmetric?: boolean; visible?: boolean; color?: string; thickness?: number; width?: number };
  /** Bar traces: bar widths in x units (one per bar, or one for all), centred on x. */
  width?: number | number[];
  opacity?: number;
  /** Heatmap traces: the text of each cell (text[row][column]), shown through texttemplate "%{text}". */
  text?: string[][] | string[] | string;
  texttemplate?: string;
  /** Heatmap traces: [[0, colour], ..., [1, colour]] over [zmin, zmax], or a Plotly scale name. */
  colorscale?: Array<[number, string]> | string;
  zmin?: number;
  zmax?: number;
  /** Image traces: the image as a data URL; its pixel (i, j) is centred at (x0 + j·dx, y0 + i·dy). */
  source?: string;
  x0?: number;
  y0?: number;
  dx?: number;
  dy?: number;
  showlegend?: boolean;
  [key: string]: unknown;
}

/** A text label at data coordinates (imageGrid's captions). */
export interface PlotlyAnnotation {
  x: number;
  y: number;
  text: string;
  xref?: "x" | string;
  yref?: "y" | string;
  showarrow?: boolean;
  xanchor?: "left" | "center" | "right" | "auto";
  yanchor?: "top" | "middle" | "bottom" | "auto";
  font?: { size?: number; color?: string };
  [key: string]: Json | undefined;
}

export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout?: { title?: { text: string }; xaxis?: PlotlyAxis; yaxis?: PlotlyAxis; annotations?: PlotlyAnnotation[]; [key: string]: unknown };
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
