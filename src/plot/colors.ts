/**
 * The colours stepwise's charts share, so the interactive (Plotly) and the static (vega) chart agree: Plotly's
 * and vega's default palettes and colour scales differ, so every builder sets its colours explicitly.
 */

/** Tableau 10, Vega's default categorical scheme: one colour per series, in order. */
export const PALETTE = ["#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"] as const;

/** A continuous colour scale as evenly spaced stops, from the lowest value to the highest. */
export type ColorStops = readonly string[];

/** d3's Blues (schemeBlues[9], vega's "blues"): white to dark blue. */
export const BLUES: ColorStops = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"];

/** Viridis (matplotlib's, as Plotly and vega draw it), sampled at 9 stops: dark purple to yellow. */
export const VIRIDIS: ColorStops = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"];

/** Blue – white – red (ColorBrewer's RdBu reversed, 9 stops): negative blue, zero white, positive red. */
export const DIVERGING: ColorStops = ["#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b"];

/** Plotly's colorscale for the stops: [[0, c0], [1/8, c1], ..., [1, c8]]. */
export function plotlyColorscale(stops: ColorStops): Array<[number, string]> {
  return stops.map((color, i) => [i / (stops.length - 1), color]);
}

/** "#rrggbb" as [r, g, b] in 0..255. */
export function rgbOf(hex: string): [number, number, number] {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!match) throw new Error(`colors: expected a colour as #rrggbb, got ${JSON.stringify(hex)}`);
  return [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16)];
}

/** The colour at t in [0, 1] along the stops, interpolated linearly in RGB (as Plotly and vega interpolate). */
export function colorAt(stops: ColorStops, t: number): [number, number, number] {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(position));
  const f = position - i;
  const [a, b] = [rgbOf(stops[i]), rgbOf(stops[i + 1])];
  return [0, 1, 2].map((k) => a[k] + f * (b[k] - a[k])) as [number, number, number];
}

/** "#rrggbb" with an opacity as CSS rgba(), which Plotly (fillcolor) and vega both read. */
export function withAlpha(hex: string, alpha: number): string {
  const [r, g, b] = rgbOf(hex);
  return `rgba(${r},${g},${b},${alpha})`;
}

/** Black or white, whichever reads better on the colour (WCAG relative luminance above or below 0.4). */
export function textColorOn([r, g, b]: readonly number[]): "#000000" | "#ffffff" {
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b) > 0.4 ? "#000000" : "#ffffff";
}
