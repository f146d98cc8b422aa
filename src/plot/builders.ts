/**
 * Chart builders for the lessons' experiments. Each builds the Plotly figure, and the Vega-Lite spec is its
 * translation (plotlyToVegaLite), so the interactive and the static chart always show the same data.
 * Bad input throws an Error naming the builder and the option; non-finite values (a diverged run) are gaps.
 */
import type { TestFunction2D } from "../data";
import type { BatchSizePoint, LrRangeTestResult, Trajectory } from "../experiments";
import { sample, type Schedule } from "../schedule";
import { DebiasedAverage } from "../util/moving-average";
import { requireInteger, requireKnownKeys, requireOneOf, requireUnitInterval } from "../util/validate";
import type { History } from "../train";
import { Chart } from "./chart";
import { xyLayout } from "./xy-layout";
import { PALETTE } from "./colors";
import { plotlyToVegaLite } from "./plotly-to-vega";
import { LineChartOptions, PlotlyFigure, PlotlyTrace, Series } from "./types";
import { checkLineChartOptions, checkSeries } from "./validate";
import { extent } from "./extent";

/** Lines (or markers) for several series over shared axes; `x.log`/`y.log` put an axis on a log scale. */
export function lineChart(series: readonly Series[], options: LineChartOptions = {}): Chart {
  return lines("lineChart", series, options);
}

function lines(builder: string, series: readonly Series[], options: LineChartOptions): Chart {
  checkLineChartOptions(builder, options);
  const logX = options.x?.log ?? false;
  const logY = options.y?.log ?? false;
  checkSeries(builder, series, logX, logY);
  // explicit colours, so the interactive and the static chart agree (their default palettes differ)
  let next = 0;
  const traces: PlotlyTrace[] = series.map((s) => {
    const color = s.color ?? PALETTE[next++ % PALETTE.length];
    return {
      type: "scatter",
      name: s.name,
      mode: s.mode ?? "lines",
      x: [...s.x],
      // null is Plotly's gap, and JSON has no NaN
      y: s.y.map((v) => (Number.isFinite(v) ? v : null)),
      line: { color, ...(s.dashed ? { dash: "dash" } : {}) },
      marker: { color },
    };
  });
  const figure: PlotlyFigure = {
    data: traces,
    layout: xyLayout(options, logX, logY),
  };
  const points = series.reduce((n, s) => n + s.x.length, 0);
  return new Chart(plotlyToVegaLite(figure, options), figure, `${options.title ?? "line chart"}: ${series.length} series, ${points} points`);
}

export interface LossCurveOptions {
  /**
   * x axis: optimizer steps (default; training loss per step, validation loss at each epoch's last step)
   * or epochs (training and validation loss per epoch).
   */
  per?: "step" | "epoch";
  logY?: boolean;
  /** Debiased exponential smoothing of the per-step training losses, 0 (none, default) to < 1. */
  smoothing?: number;
  title?: string;
}

/** A named run: a fit() history. */
export interface NamedHistory {
  name: string;
  history: History;
}

/**
 * Training and validation loss of one or several runs: fit() histories by name (e.g. compareOptimizers'
 * result), or plain series (drawn as given, smoothed if asked).
 */
export function lossCurves(runs: Record<string, History> | readonly NamedHistory[] | readonly Series[], options: LossCurveOptions = {}): Chart {
  const where = "lossCurves";
  requireKnownKeys(where, options, ["per", "logY", "smoothing", "title"]);
  const per = options.per ?? "step";
  requireOneOf(where, "per", per, ["step", "epoch"]);
  const smoothing = options.smoothing ?? 0;
  requireUnitInterval(where, "smoothing", smoothing);
  const logY = options.logY ?? false;
  const title = options.title ?? (per === "step" ? "Training loss per step" : "Loss per epoch");
  const yTitle = smoothing > 0 ? `loss (smoothed ${smoothing})` : "loss";
  if (Array.isArray(runs) && runs.length > 0 && runs.every((r) => r !== null && typeof r === "object" && "x" in r && "y" in r)) {
    const series = (runs as readonly Series[]).map((s) => (Array.isArray(s.y) ? { ...s, y: smooth(s.y, smoothing) } : s));
    return lines(where, series, { title, x: { title: per === "step" ? "optimizer step" : "epoch" }, y: { title: yTitle, log: logY } });
  }
  const list = namedHistories(where, runs as Record<string, History> | readonly NamedHistory[]);
  const series: Series[] = [];
  for (const [run, { name, history }] of list.entries()) {
    const color = PALETTE[run % PALETTE.length];
    const validated = history.epochs.filter((e) => e.valLoss !== undefined);
    if (per === "step") {
      series.push({ name, x: history.steps.map((s) => s.step), y: smooth(history.steps.map((s) => s.loss), smoothing), color });
      if (validated.length > 0) {
        series.push({ name: `${name} (validation)`, x: validated.map((e) => e.steps), y: validated.map((e) => e.valLoss as number), dashed: true, mode: "lines+markers", color });
      }
    } else {
      series.push({ name: `${name} (train)`, x: history.epochs.map((e) => e.epoch + 1), y: history.epochs.map((e) => e.loss), mode: "lines+markers", color });
      if (validated.length > 0) {
        series.push({ name: `${name} (validation)`, x: validated.map((e) => e.epoch + 1), y: validated.map((e) => e.valLoss as number), dashed: true, mode: "lines+markers", color });
      }
    }
  }
  return lines(where, series, { title, x: { title: per === "step" ? "optimizer step" : "epoch" }, y: { title: yTitle, log: logY } });
}

const EPOCH_METRICS = ["loss", "accuracy", "valLoss", "valAccuracy"] as const;

/** A metric per epoch (e.g. "accuracy", "valAccuracy") for several runs. */
export function epochMetric(
  runs: Record<string, History> | readonly NamedHistory[],
  metric: (typeof EPOCH_METRICS)[number],
  options: { title?: string; logY?: boolean } = {},
): Chart {
  const where = "epochMetric";
  requireOneOf(where, "metric", metric, EPOCH_METRICS);
  requireKnownKeys(where, options, ["title", "logY"]);
  const series = namedHistories(where, runs).map(({ name, history }) => {
    const recorded = history.epochs.filter((e) => e[metric] !== undefined);
    if (recorded.length === 0) throw new Error(`${where}: run ${JSON.stringify(name)} has no ${metric} in its epochs (was it recorded? validation metrics need validation data)`);
    return { name, x: recorded.map((e) => e.epoch + 1), y: recorded.map((e) => e[metric] as number), mode: "lines+markers" as const };
  });
  return lines(where, series, { title: options.title ?? `${metric} per epoch`, x: { title: "epoch" }, y: { title: metric, log: options.logY } });
}

/** Learning-rate schedules (functions step -> lr) sampled at steps 0..steps-1, overlaid. */
export function scheduleChart(schedules: Record<string, Schedule>, steps: number, options: { title?: string; logY?: boolean } = {}): Chart {
  const where = "scheduleChart";
  requireInteger(where, "steps", steps, 1);
  requireKnownKeys(where, options, ["title", "logY"]);
  const entries = schedules !== null && typeof schedules === "object" ? Object.entries(schedules) : [];
  if (entries.length === 0) throw new Error(`${where}: schedules must name at least one schedule, e.g. { cosine: cosine({ lr: 0.1, tMax: 100 }) }`);
  const series = entries.map(([name, schedule]) => {
    if (typeof schedule !== "function") throw new Error(`${where}: schedules[${JSON.stringify(name)}] is not a schedule (a function step -> lr)`);
    return { name, x: Array.from({ length: steps }, (_, t) => t), y: sample(schedule, steps) };
  });
  return lines(where, series, { title: options.title ?? "Learning-rate schedules", x: { title: "optimizer step" }, y: { title: "learning rate", log: options.logY } });
}

const SWEEP_METRICS = ["steps", "samples", "seconds"] as const;

/**
 * A batch-size sweep on log-log axes: optimizer steps (or samples, or wall-clock seconds) to reach the
 * target loss, for the batch sizes that reached it. With steps, a dashed line shows perfect scaling from
 * the smallest batch size (steps ∝ 1/B), the regime below the critical batch size.
 */
export function batchSizeChart(points: readonly BatchSizePoint[], options: { metric?: (typeof SWEEP_METRICS)[number]; title?: string } = {}): Chart {
  const where = "batchSizeChart";
  requireKnownKeys(where, options, ["metric", "title"]);
  const metric = options.metric ?? "steps";
  requireOneOf(where, "metric", metric, SWEEP_METRICS);
  if (!Array.isArray(points) || points.length === 0) throw new Error(`${where}: points must be a non-empty list (batchSizeSweep's result)`);
  const reached = points.filter((p) => p.reached).sort((a, b) => a.batchSize - b.batchSize);
  if (reached.length === 0) throw new Error(`${where}: no batch size reached the target loss; nothing to draw`);
  const series: Series[] = [{ name: `${metric} to target`, x: reached.map((p) => p.batchSize), y: reached.map((p) => p[metric]), mode: "lines+markers" }];
  if (metric === "steps") {
    const first = reached[0];
    series.push({ name: "perfect scaling", x: reached.map((p) => p.batchSize), y: reached.map((p) => (first.steps * first.batchSize) / p.batchSize), dashed: true });
  }
  const yTitle = metric === "seconds" ? "wall time to target (s)" : `${metric} to target`;
  return lines(where, series, { title: options.title ?? `Batch size vs ${metric} to reach the target loss`, x: { title: "batch size", log: true }, y: { title: yTitle, log: true } });
}

/**
 * The LR range test: raw and smoothed loss against the learning rate (log axis), with both suggested
 * rates marked by dashed vertical lines: the steepest descent of the smoothed loss, and a tenth of the
 * rate at its minimum.
 */
export function lrRangeChart(result: LrRangeTestResult, options: { title?: string } = {}): Chart {
  const where = "lrRangeChart";
  requireKnownKeys(where, options, ["title"]);
  const { lrs, losses, smoothed, steepest, minimumTenth } = result ?? ({} as Partial<LrRangeTestResult>);
  if (!Array.isArray(lrs) || lrs.length < 2) throw new Error(`${where}: result.lrs must hold at least 2 learning rates (lrRangeTest's result)`);
  if (!Array.isArray(losses) || losses.length !== lrs.length) throw new Error(`${where}: result.losses must hold one loss per learning rate (${lrs.length}), got ${Array.isArray(losses) ? losses.length : typeof losses}`);
  if (!Array.isArray(smoothed) || smoothed.length !== lrs.length) throw new Error(`${where}: result.smoothed must hold one value per learning rate (${lrs.length}), got ${Array.isArray(smoothed) ? smoothed.length : typeof smoothed}`);
  for (const [key, value] of [["steepest", steepest], ["minimumTenth", minimumTenth]] as const) {
    if (typeof value !== "number" || !(value > 0)) throw new Error(`${where}: result.${key} must be a learning rate > 0, got ${value}`);
  }
  const shown = [...losses, ...smoothed].filter(Number.isFinite);
  const [low, high] = extent(shown);
  const marker = (label: string, lr: number): Series => ({ name: `${label} (lr ${lr.toPrecision(2)})`, x: [lr, lr], y: [low, high], dashed: true });
  return lines(
    where,
    [
      { name: "loss", x: lrs, y: losses, mode: "markers" },
      { name: "smoothed loss", x: lrs, y: smoothed },
      marker("steepest descent", steepest as number),
      marker("minimum / 10", minimumTenth as number),
    ],
    { title: options.title ?? "Learning-rate range test", x: { title: "learning rate", log: true }, y: { title: "loss" } },
  );
}

/** Paths of up to this many points get a marker per step in trajectoryChart. */
const MARKED_POINTS = 200;

/**
 * Optimizer paths over a 2-D test function: contours of log10(f − f* + 10⁻³) on an n × n grid over the
 * function's domain (the offset keeps the minimum finite), each path as a line with a marker per step
 * (clipped to the domain), and the minimum as a star. A path of more than MARKED_POINTS points is a line
 * alone: its markers would merge into a thick line, and each is an element of the static SVG (three paths
 * of 1,000 steps made 3,003 of them, 0.9 MB of a 1 MB figure).
 */
export function trajectoryChart(
  fn: TestFunction2D,
  paths: Record<string, Trajectory>,
  options: { title?: string; resolution?: number; levels?: number } = {},
): Chart {
  const where = "trajectoryChart";
  requireKnownKeys(where, options, ["title", "resolution", "levels"]);
  if (fn === null || typeof fn !== "object" || typeof fn.value !== "function" || !fn.domain) {
    throw new Error(`${where}: fn must be a 2-D test function (rosenbrock(), beale(), illConditionedQuadratic())`);
  }
  const n = options.resolution ?? 60;
  requireInteger(where, "resolution", n, 2, 400);
  const levels = options.levels ?? 20;
  requireInteger(where, "levels", levels, 1);
  const entries = paths !== null && typeof paths === "object" ? Object.entries(paths) : [];
  if (entries.length === 0) throw new Error(`${where}: paths must name at least one trajectory, e.g. { adam: trajectory(fn, adam(), { steps: 100 }) }`);
  for (const [name, path] of entries) {
    if (!path || !Array.isArray(path.points) || path.points.length === 0) throw new Error(`${where}: paths[${JSON.stringify(name)}] is not a trajectory (no points)`);
  }
  const [x0, x1] = fn.domain.x;
  const [y0, y1] = fn.domain.y;
  const xs = Array.from({ length: n }, (_, i) => x0 + ((x1 - x0) * i) / (n - 1));
  const ys = Array.from({ length: n }, (_, i) => y0 + ((y1 - y0) * i) / (n - 1));
  const z = ys.map((y) => xs.map((x) => Math.log10(fn.value(x, y) - fn.minimum.value + 1e-3)));
  const traces: PlotlyTrace[] = [
    { type: "contour", name: "log10 loss", x: xs, y: ys, z, showscale: true, colorbar: { title: { text: "log10(f − f*)" } }, ncontours: levels },
    ...entries.map(([name, path], i): PlotlyTrace => ({
      type: "scatter",
      name,
      mode: path.points.length <= MARKED_POINTS ? "lines+markers" : "lines",
      x: path.points.map((p) => p[0]),
      y: path.points.map((p) => p[1]),
      line: { color: PALETTE[i % PALETTE.length] },
      marker: { size: 3, color: PALETTE[i % PALETTE.length] },
    })),
    { type: "scatter", name: "minimum", mode: "markers", x: [fn.minimum.x], y: [fn.minimum.y], marker: { symbol: "star", size: 12, color: "#000000" } },
  ];
  const figure: PlotlyFigure = {
    data: traces,
    layout: {
      title: { text: options.title ?? `Optimizer paths on ${fn.name}` },
      // a fixed window: a path that leaves it is clipped, not allowed to rescale the axes
      xaxis: { title: { text: "x" }, range: [x0, x1] },
      yaxis: { title: { text: "y" }, range: [y0, y1] },
    },
  };
  return new Chart(plotlyToVegaLite(figure, { width: 420, height: 380 }), figure, `${options.title ?? fn.name}: ${entries.length} optimizer path${entries.length === 1 ? "" : "s"}`);
}

function namedHistories(where: string, runs: Record<string, History> | readonly NamedHistory[]): NamedHistory[] {
  if (runs === null || typeof runs !== "object") throw new Error(`${where}: runs must be histories by name or a list of { name, history }, got ${runs === null ? "null" : typeof runs}`);
  const list: NamedHistory[] = Array.isArray(runs) ? [...(runs as readonly NamedHistory[])] : Object.entries(runs as Record<string, History>).map(([name, history]) => ({ name, history }));
  if (list.length === 0) throw new Error(`${where}: runs must hold at least one history`);
  for (const { name, history } of list) {
    if (!history || !Array.isArray(history.steps) || !Array.isArray(history.epochs)) throw new Error(`${where}: run ${JSON.stringify(name)} is not a fit() history ({ steps, epochs })`);
  }
  return list;
}

/** Debiased exponential moving average (TensorBoard's smoothing); non-finite values pass through as gaps. */
function smooth(values: readonly number[], weight: number): number[] {
  const average = new DebiasedAverage(weight);
  return values.map((v) => (Number.isFinite(v) ? average.add(v) : v));
}
