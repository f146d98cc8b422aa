/**
 * The spread of repeated runs (seeds): per point, the mean over runs with the range they span.
 *
 * summarizeRuns gives, at each index i over the runs' finite values v_1..v_n at i:
 *   mean = (1/n) Σ v_r,  min, max,  std = sqrt(Σ (v_r − mean)² / (n − 1))   (the sample standard
 * deviation, torch.std's default; NaN when n < 2). Non-finite values (a diverged run) are left out of that
 * point's statistics; a point where no run is finite has NaN throughout, and the charts leave it out.
 *
 * spreadChart draws each series' mean as a line (and/or markers) with its min–max range: a filled band for
 * lines, error bars for markers only. Plotly: the band is two invisible traces (min, then max with
 * fill "tonexty"), the error bars `error_y` arrays; the Vega-Lite spec is the figure's translation.
 */
import { Chart } from "./chart";
import { xyLayout } from "./xy-layout";
import { PALETTE, withAlpha } from "./colors";
import { plotlyToVegaLite } from "./plotly-to-vega";
import { LineChartOptions, PlotlyFigure, PlotlyTrace } from "./types";
import { checkBoolean, checkChoice, checkLineChartOptions, checkNumbers } from "./validate";
import { extent } from "./extent";
import { requireKnownKeys } from "../util/validate";

/** Per-point statistics over runs. */
export interface RunSummary {
  mean: number[];
  min: number[];
  max: number[];
  /** Sample standard deviation (n − 1); NaN where fewer than 2 runs are finite. */
  std: number[];
}

/** One series of a spreadChart: runs[r][i] is run r's value at x[i]. */
export interface SpreadSeries {
  name: string;
  x: readonly number[];
  runs: ReadonlyArray<readonly number[]>;
  /** "lines" (default) or "lines+markers": mean line with a min–max band; "markers": mean markers with min–max error bars. */
  mode?: "lines" | "markers" | "lines+markers";
  /** A CSS colour as #rrggbb; by default the next of the Tableau 10 palette. */
  color?: string;
  dashed?: boolean;
}

/** Per-point mean, min, max and standard deviation over runs (what spreadChart draws); non-finite values are left out. */
export function summarizeRuns(runs: ReadonlyArray<readonly number[]>): RunSummary {
  return summarize("summarizeRuns", "runs", runs);
}

function summarize(builder: string, where: string, runs: ReadonlyArray<readonly number[]>, length?: number): RunSummary {
  if (!Array.isArray(runs) || runs.length === 0) throw new Error(`${builder}: ${where} must be a non-empty list of runs (arrays of numbers), got ${runs === null ? "null" : Array.isArray(runs) ? "an empty list" : typeof runs}`);
  const n = length ?? (runs[0] as readonly number[] | undefined)?.length;
  runs.forEach((run, r) => {
    checkNumbers(`${builder}: ${where}[${r}]`, run);
    if (run.length !== n) throw new Error(`${builder}: ${where}[${r}] has ${run.length} values but ${length === undefined ? `${where}[0] has` : "x has"} ${n}; every run needs one value per point`);
  });
  const summary: RunSummary = { mean: [], min: [], max: [], std: [] };
  for (let i = 0; i < (n as number); i++) {
    const values = runs.map((run) => run[i]).filter(Number.isFinite);
    const count = values.length;
    const mean = count > 0 ? values.reduce((a, b) => a + b, 0) / count : Number.NaN;
    summary.mean.push(mean);
    const [low, high] = count > 0 ? extent(values) : [Number.NaN, Number.NaN];
    summary.min.push(low);
    summary.max.push(high);
    summary.std.push(count > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (count - 1)) : Number.NaN);
  }
  return summary;
}

const BUILDER = "spreadChart";
/** JSON has no NaN: Plotly's gap is null. */
const gap = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * Mean over runs (e.g. seeds) as a line or markers, with the spread: a min–max band for lines, min–max error
 * bars for markers. runs[r][i] is run r's value at x[i]; non-finite values (a diverged run) are left out of
 * that point's statistics.
 */
export function spreadChart(series: readonly SpreadSeries[], options: LineChartOptions = {}): Chart {
  checkLineChartOptions(BUILDER, options);
  if (!Array.isArray(series) || series.length === 0) throw new Error(`${BUILDER}: series must be a non-empty list of { name, x, runs }, got ${JSON.stringify(series)}`);
  const logX = options.x?.log ?? false;
  const logY = options.y?.log ?? false;
  let next = 0;
  const traces: PlotlyTrace[] = [];
  let runCount = 0;
  series.forEach((s, k) => {
    const label = `${BUILDER}: series[${k}] (${JSON.stringify(s?.name)})`;
    if (typeof s?.name !== "string" || s.name === "") throw new Error(`${BUILDER}: series[${k}].name must be a non-empty string`);
    requireKnownKeys(label, s, ["name", "x", "runs", "mode", "color", "dashed"]);
    checkNumbers(`${label}: x`, s.x);
    const xs: readonly number[] = s.x;
    const bad = logX ? xs.find((v) => Number.isFinite(v) && v <= 0) : undefined;
    if (bad !== undefined) throw new Error(`${label}: x is on a log scale (x.log), so its values must be > 0, found ${bad}`);
    checkChoice(label, "mode", s.mode, ["lines", "markers", "lines+markers"]);
    if (s.color !== undefined && !/^#[0-9a-f]{6}$/i.test(String(s.color))) throw new Error(`${label}: color must be a colour as #rrggbb, got ${JSON.stringify(s.color)}`);
    checkBoolean(label, "dashed", s.dashed);
    const { mean, min, max } = summarize(label, "runs", s.runs, s.x.length);
    if (logY) {
      s.runs.forEach((run: readonly number[], r: number) => {
        const low = run.find((v) => Number.isFinite(v) && v <= 0);
        if (low !== undefined) throw new Error(`${label}: runs[${r}] holds ${low}, but y is on a log scale (y.log), so its values must be > 0`);
      });
    }
    runCount = Math.max(runCount, s.runs.length);
    const color = s.color ?? PALETTE[next++ % PALETTE.length];
    const mode = s.mode ?? "lines";
    const x = xs.map(gap);
    const group = { legendgroup: s.name };
    if (mode.includes("lines")) {
      // the band: the min trace, then the max trace filled down to it; neither drawn as a line nor listed
      const edge = { type: "scatter", mode: "lines", x, line: { color, width: 0 }, showlegend: false, hoverinfo: "skip", ...group };
      traces.push({ ...edge, name: `${s.name} (min)`, y: min.map(gap) });
      traces.push({ ...edge, name: `${s.name} (max)`, y: max.map(gap), fill: "tonexty", fillcolor: withAlpha(color, 0.2) });
    }
    traces.push({
      type: "scatter",
      name: s.name,
      mode,
      x,
      y: mean.map(gap),
      line: { color, ...(s.dashed ? { dash: "dash" } : {}) },
      marker: { color },
      ...group,
      customdata: mean.map((_, i) => [gap(min[i]), gap(max[i])]),
      hovertemplate: `mean %{y:.4g} (min %{customdata[0]:.4g}, max %{customdata[1]:.4g}) over ${s.runs.length} runs<extra>%{fullData.name}</extra>`,
      ...(mode === "markers"
        ? { error_y: { type: "data", symmetric: false, array: mean.map((m, i) => gap(max[i] - m)), arrayminus: mean.map((m, i) => gap(m - min[i])), color, thickness: 1.5, width: 4 } }
        : {}),
    });
  });
  const figure: PlotlyFigure = {
    data: traces,
    layout: xyLayout(options, logX, logY),
  };
  return new Chart(plotlyToVegaLite(figure, options), figure, `${options.title ?? "spread chart"}: ${series.length} series, mean and min–max over up to ${runCount} runs`);
}
