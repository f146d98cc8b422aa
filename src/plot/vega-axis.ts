/**
 * Plotly axes as Vega-Lite position encodings: linear or log scales, fixed ranges (Plotly gives a log axis's
 * range as log10 of the data, and a range [high, low] reverses the axis), `autorange: "reversed"`, hidden
 * axes (`visible: false`), and category axes (a heatmap's labelled rows and columns).
 */
import { Json, PlotlyAxis } from "./types";

/** The encoding of one data field on an axis. */
export type AxisEncoder = (field: string) => { [key: string]: Json };

/** A quantitative axis; `name` ("x" or "y") is its title when the axis has none. */
export function quantitativeAxis(axis: PlotlyAxis | undefined, name: "x" | "y"): AxisEncoder {
  const log = axis?.type === "log";
  // a log scale is not widened to whole decades (vega's default), as Plotly's autorange does not
  // (a few pixels of padding keep the end markers whole)
  const scale: { [key: string]: Json } = log ? { type: "log", nice: false, padding: 8 } : { zero: false };
  let reverse = axis?.autorange === "reversed";
  const range = axis?.range;
  if (Array.isArray(range) && range.length === 2 && range.every(Number.isFinite)) {
    const [a, b] = log ? [10 ** range[0], 10 ** range[1]] : [range[0], range[1]];
    scale.domain = [Math.min(a, b), Math.max(a, b)];
    scale.nice = false;
    delete scale.padding;
    reverse = a > b;
  }
  if (reverse) scale.reverse = true;
  const title = axis?.title?.text ?? name;
  return (field) => ({ field, type: "quantitative", title, scale, ...(axis?.visible === false ? { axis: null } : {}) });
}

/**
 * A category axis over `labels` in their order. Plotly draws the first category at the left (x) or the bottom
 * (y), Vega-Lite at the left or the top: a y axis is reversed unless Plotly's is.
 */
export function categoryAxis(axis: PlotlyAxis | undefined, name: "x" | "y", labels: readonly string[]): AxisEncoder {
  const plotlyReversed = axis?.autorange === "reversed";
  const reverse = name === "y" ? !plotlyReversed : plotlyReversed;
  const title = axis?.title?.text ?? name;
  const axisDef: Json = axis?.visible === false ? null : { labelAngle: 0 };
  return (field) => ({ field, type: "ordinal", title, sort: [...labels], scale: reverse ? { reverse: true } : { reverse: false }, axis: axisDef });
}
