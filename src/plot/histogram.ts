/**
 * Overlaid histograms of named samples on shared bin edges (so the series compare bin by bin).
 *
 * Edges: `bins` equal-width bins from the smallest to the largest finite value over all series (log-spaced
 * when `x.log`: equal width in log10). A value v falls in bin k when edges[k] <= v < edges[k+1]; the last bin
 * also holds the largest value. Non-finite values (a diverged run) are left out of the counts and of the
 * total the fractions divide by. Plotly draws each series as a bar trace (overlaid, half transparent), and
 * the Vega-Lite spec is its translation.
 */
import { Chart } from "./chart";
import { PALETTE } from "./colors";
import { extent } from "./extent";
import { plotlyToVegaLite } from "./plotly-to-vega";
import { AxisOptions, PlotlyFigure, PlotlyTrace } from "./types";
import { checkChoice, checkInteger, checkLineChartOptions, checkNumbers } from "./validate";

export interface HistogramOptions {
  title?: string;
  /** Number of bins (default 30), shared by all series. */
  bins?: number;
  /** `log: true`: log-spaced bins on a log axis (every finite value must be > 0). */
  x?: AxisOptions;
  y?: AxisOptions;
  /** "fraction" (default: each bin's share of its series' finite values, so samples of different sizes compare) or "count". */
  normalize?: "fraction" | "count";
  width?: number;
  height?: number;
}

/** The shared bin edges and each series' counts (what `histogram` draws). */
export interface Binned {
  /** bins + 1 increasing edges. */
  edges: number[];
  /** counts[name][k]: the series' finite values in bin k. */
  counts: Record<string, number[]>;
  /** The finite values of each series (the counts' total). */
  totals: Record<string, number>;
}

const BUILDER = "histogram";

/** Overlaid histograms on shared bin edges; `x.log` gives log-spaced bins (values must be > 0). */
export function histogram(samples: Record<string, ArrayLike<number>>, options: HistogramOptions = {}): Chart {
  checkLineChartOptions(BUILDER, options, ["bins", "normalize"]);
  checkChoice(BUILDER, "normalize", options.normalize, ["fraction", "count"]);
  const normalize = options.normalize ?? "fraction";
  const { edges, counts, totals } = binSamples(samples, options.bins ?? 30, options.x?.log ?? false);
  const names = Object.keys(counts);
  const traces: PlotlyTrace[] = names.map((name, s) => {
    const color = PALETTE[s % PALETTE.length];
    return {
      type: "bar",
      name,
      // bar centres halfway between the edges, so each bar spans its bin exactly (on a log axis too)
      x: edges.slice(0, -1).map((lo, k) => (lo + edges[k + 1]) / 2),
      width: edges.slice(0, -1).map((lo, k) => edges[k + 1] - lo),
      y: counts[name].map((c) => (normalize === "fraction" ? c / totals[name] : c)),
      customdata: edges.slice(0, -1).map((lo, k) => [lo, edges[k + 1], counts[name][k]]),
      hovertemplate: `[%{customdata[0]:.3g}, %{customdata[1]:.3g}): %{customdata[2]} of ${totals[name]}<extra>%{fullData.name}</extra>`,
      marker: { color, line: { width: 0 } },
      opacity: names.length > 1 ? 0.55 : 0.85,
    };
  });
  const figure: PlotlyFigure = {
    data: traces,
    layout: {
      ...(options.title ? { title: { text: options.title } } : {}),
      barmode: "overlay",
      bargap: 0,
      xaxis: { title: { text: options.x?.title ?? "value" }, type: options.x?.log ? "log" : "linear" },
      yaxis: { title: { text: options.y?.title ?? (normalize === "fraction" ? "fraction of samples" : "count") }, type: options.y?.log ? "log" : "linear" },
      ...(options.width ? { width: options.width } : {}),
      ...(options.height ? { height: options.height } : {}),
    },
  };
  const total = names.reduce((n, name) => n + totals[name], 0);
  return new Chart(plotlyToVegaLite(figure, options), figure, `${options.title ?? "histogram"}: ${names.length} series, ${total} values in ${edges.length - 1} bins`);
}

/** Bin named samples on shared edges, as `histogram` does (exported for tests and for lessons that need the counts). */
export function binSamples(samples: Record<string, ArrayLike<number>>, bins: number, log: boolean): Binned {
  if (samples === null || typeof samples !== "object" || Array.isArray(samples) || ArrayBuffer.isView(samples)) {
    throw new Error(`${BUILDER}: samples must be an object of named samples, e.g. { adam: values, sgd: values }, got ${samples === null ? "null" : Array.isArray(samples) ? "an array" : typeof samples}`);
  }
  const entries = Object.entries(samples);
  if (entries.length === 0) throw new Error(`${BUILDER}: samples must name at least one series, e.g. { adam: values }`);
  checkInteger(BUILDER, "bins", bins, 1, 1000);
  const finite: Record<string, number[]> = {};
  for (const [name, values] of entries) {
    checkNumbers(`${BUILDER}: samples[${JSON.stringify(name)}]`, values);
    const kept = Array.from(values).filter(Number.isFinite);
    if (kept.length === 0) throw new Error(`${BUILDER}: samples[${JSON.stringify(name)}] has no finite values to count`);
    const bad = log ? kept.find((v) => v <= 0) : undefined;
    if (bad !== undefined) throw new Error(`${BUILDER}: samples[${JSON.stringify(name)}] holds ${bad}, but x is on a log scale (x.log), so its values must be > 0`);
    finite[name] = kept;
  }
  const [low, high] = extent(Object.values(finite).map(extent).flat());
  const edges = binEdges(low, high, bins, log);
  const counts: Record<string, number[]> = {};
  const totals: Record<string, number> = {};
  for (const [name, values] of Object.entries(finite)) {
    const bin = new Array<number>(bins).fill(0);
    const [a, b] = log ? [Math.log10(edges[0]), Math.log10(edges[bins])] : [edges[0], edges[bins]];
    for (const v of values) {
      // the bin from the position, then corrected against the edges themselves (rounding near an edge)
      let k = Math.min(bins - 1, Math.max(0, Math.floor((((log ? Math.log10(v) : v) - a) / (b - a)) * bins)));
      while (k > 0 && v < edges[k]) k--;
      while (k < bins - 1 && v >= edges[k + 1]) k++;
      bin[k]++;
    }
    counts[name] = bin;
    totals[name] = values.length;
  }
  return { edges, counts, totals };
}

/** bins + 1 edges from low to high, equally spaced (in log10 when log); a single value gets a bin around it. */
function binEdges(low: number, high: number, bins: number, log: boolean): number[] {
  if (log) {
    const [a, b] = high > low ? [Math.log10(low), Math.log10(high)] : [Math.log10(low) - 0.5, Math.log10(low) + 0.5];
    return Array.from({ length: bins + 1 }, (_, k) => (k === 0 && high > low ? low : k === bins && high > low ? high : 10 ** (a + ((b - a) * k) / bins)));
  }
  const [a, b] = high > low ? [low, high] : [low - 0.5, low + 0.5];
  return Array.from({ length: bins + 1 }, (_, k) => (k === bins ? b : a + ((b - a) * k) / bins));
}
