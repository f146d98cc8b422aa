/**
 * Chart builders for the lessons' experiments. Each builds the Plotly figure, and the Vega-Lite spec is its
 * translation (plotlyToVegaLite), so the interactive and the static chart always show the same data.
 */
import type { TestFunction2D } from "../data";
import type { BatchSizePoint, LrRangeTestResult, Trajectory } from "../experiments";
import { sample, type Schedule } from "../schedule";
import type { History } from "../train";
import { Chart } from "./chart";
import { plotlyToVegaLite } from "./plotly-to-vega";
import { LineChartOptions, PlotlyFigure, PlotlyTrace, Series } from "./types";
import { checkSeries } from "./validate";

/** Lines (or markers) for several series over shared axes. */
export function lineChart(series: readonly Series[], options: LineChartOptions = {}): Chart {
  const logX = options.x?.log ?? false;
  const logY = options.y?.log ?? false;
  checkSeries("lineChart", series, logX, logY);
  const traces: PlotlyTrace[] = series.map((s) => ({
    type: "scatter",
    name: s.name,
    mode: s.mode ?? "lines",
    x: [...s.x],
    y: s.y.map((v) => (Number.isFinite(v) ? v : Number.NaN)),
    ...(s.dashed ? { line: { dash: "dash" } } : {}),
  }));
  const figure: PlotlyFigure = {
    data: traces,
    layout: {
      ...(options.title ? { title: { text: options.title } } : {}),
      xaxis: { title: { text: options.x?.title ?? "x" }, type: logX ? "log" : "linear" },
      yaxis: { title: { text: options.y?.title ?? "y" }, type: logY ? "log" : "linear" },
      ...(options.width ? { width: options.width } : {}),
      ...(options.height ? { height: options.height } : {}),
    },
  };
  const points = series.reduce((n, s) => n + s.x.length, 0);
  return new Chart(plotlyToVegaLite(figure, options), figure, `${options.title ?? "line chart"}: ${series.length} series, ${points} points`);
}

export interface LossCurveOptions {
  /** Per optimizer step (default) or per epoch (training and validation). */
  per?: "step" | "epoch";
  logY?: boolean;
  /** Exponential smoothing of the step losses, 0 (none, default) to < 1. */
  smoothing?: number;
  title?: string;
}

/** Training (and validation) loss of one or several runs, e.g. the result of compareOptimizers. */
export function lossCurves(runs: Record<string, History> | ReadonlyArray<{ name: string; history: History }>, options: LossCurveOptions = {}): Chart {
  const list: ReadonlyArray<{ name: string; history: History }> = Array.isArray(runs)
    ? (runs as ReadonlyArray<{ name: string; history: History }>)
    : Object.entries(runs as Record<string, History>).map(([name, history]) => ({ name, history }));
  if (list.length === 0) throw new Error("lossCurves: runs must hold at least one history");
  const per = options.per ?? "step";
  if (per !== "step" && per !== "epoch") throw new Error(`lossCurves: per must be "step" or "epoch", got ${JSON.stringify(per)}`);
  const smoothing = options.smoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`lossCurves: smoothing must be in [0, 1), got ${smoothing}`);
  const series: Series[] = [];
  for (const { name, history } of list) {
    if (!history || !Array.isArray(history.steps) || !Array.isArray(history.epochs)) throw new Error(`lossCurves: run ${JSON.stringify(name)} is not a fit() history`);
    if (per === "step") {
      series.push({ name, x: history.steps.map((s) => s.step), y: smooth(history.steps.map((s) => s.loss), smoothing) });
    } else {
      series.push({ name: `${name} (train)`, x: history.epochs.map((e) => e.epoch + 1), y: history.epochs.map((e) => e.loss), mode: "lines+markers" });
      if (history.epochs.some((e) => e.valLoss !== undefined)) {
        series.push({ name: `${name} (validation)`, x: history.epochs.map((e) => e.epoch + 1), y: history.epochs.map((e) => e.valLoss ?? Number.NaN), dashed: true, mode: "lines+markers" });
      }
    }
  }
  return lineChart(series, {
    title: options.title ?? (per === "step" ? "Training loss per step" : "Loss per epoch"),
    x: { title: per === "step" ? "optimizer step" : "epoch" },
    y: { title: smoothing > 0 ? `loss (smoothed ${smoothing})` : "loss", log: options.logY ?? false },
  });
}

/** A metric per epoch (e.g. "accuracy", "valAccuracy") for several runs. */
export function epochMetric(runs: Record<string, History>, metric: "loss" | "accuracy" | "valLoss" | "valAccuracy", options: { title?: string; logY?: boolean } = {}): Chart {
  const series = Object.entries(runs).map(([name, history]) => ({
    name,
    x: history.epochs.map((e) => e.epoch + 1),
    y: history.epochs.map((e) => e[metric] ?? Number.NaN),
    mode: "lines+markers" as const,
  }));
  return lineChart(series, { title: options.title ?? `${metric} per epoch`, x: { title: "epoch" }, y: { title: metric, log: options.logY } });
}

/** Learning-rate schedules over `steps` optimizer steps. */
export function scheduleChart(schedules: Record<string, Schedule>, steps: number, options: { title?: string; logY?: boolean } = {}): Chart {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`scheduleChart: steps must be an integer >= 1, got ${steps}`);
  const series = Object.entries(schedules).map(([name, schedule]) => {
    if (typeof schedule !== "function") throw new Error(`scheduleChart: ${JSON.stringify(name)} is not a schedule (a function step -> lr)`);
    return { name, x: Array.from({ length: steps }, (_, t) => t), y: sample(schedule, steps) };
  });
  return lineChart(series, { title: options.title ?? "Learning-rate schedules", x: { title: "optimizer step" }, y: { title: "learning rate", log: options.logY } });
}

/** A batch-size sweep, log-log: optimizer steps (or samples, or seconds) to reach the target loss. */
export function batchSizeChart(points: readonly BatchSizePoint[], options: { metric?: "steps" | "samples" | "seconds"; title?: string } = {}): Chart {
  const metric = options.metric ?? "steps";
  const reached = points.filter((p) => p.reached);
  if (reached.length === 0) throw new Error("batchSizeChart: no batch size reached the target loss; nothing to draw");
  const series: Series[] = [{ name: `${metric} to target`, x: reached.map((p) => p.batchSize), y: reached.map((p) => p[metric]), mode: "lines+markers" }];
  // perfect scaling: steps halve when the batch doubles (from the smallest batch size)
  if (metric === "steps") {
    const first = reached[0];
    series.push({ name: "perfect scaling", x: reached.map((p) => p.batchSize), y: reached.map((p) => (first.steps * first.batchSize) / p.batchSize), dashed: true });
  }
  const yTitle = metric === "seconds" ? "wall time to target (s)" : `${metric} to target`;
  return lineChart(series, { title: options.title ?? `Batch size vs ${metric} to reach the target loss`, x: { title: "batch size", log: true }, y: { title: yTitle, log: true } });
}

/** The LR range test: loss against learning rate (log), with the suggested rate marked. */
export function lrRangeChart(result: LrRangeTestResult, options: { title?: string } = {}): Chart {
  const finite = result.smoothed.filter(Number.isFinite);
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  return lineChart(
    [
      { name: "loss", x: result.lrs, y: result.losses, mode: "markers" },
      { name: "smoothed loss", x: result.lrs, y: result.smoothed },
      { name: `steepest descent (lr ${result.steepest.toPrecision(2)})`, x: [result.steepest, result.steepest], y: [low, high], dashed: true },
    ],
    { title: options.title ?? "Learning-rate range test", x: { title: "learning rate", log: true }, y: { title: "loss" } },
  );
}

/** Optimizer paths over a 2-D test function's contours (log10 of the loss above the minimum). */
export function trajectoryChart(fn: TestFunction2D, paths: Record<string, Trajectory>, options: { title?: string; resolution?: number } = {}): Chart {
  const n = options.resolution ?? 60;
  if (!Number.isInteger(n) || n < 2) throw new Error(`trajectoryChart: resolution must be an integer >= 2, got ${n}`);
  const [x0, x1] = fn.domain.x;
  const [y0, y1] = fn.domain.y;
  const xs = Array.from({ length: n }, (_, i) => x0 + ((x1 - x0) * i) / (n - 1));
  const ys = Array.from({ length: n }, (_, i) => y0 + ((y1 - y0) * i) / (n - 1));
  const z = ys.map((y) => xs.map((x) => Math.log10(fn.value(x, y) - fn.minimum.value + 1e-3)));
  const inside = (p: [number, number]) => p[0] >= x0 && p[0] <= x1 && p[1] >= y0 && p[1] <= y1;
  const traces: PlotlyTrace[] = [
    { type: "contour", name: "log10 loss", x: xs, y: ys, z, showscale: true, colorbar: { title: { text: "log10(f − f*)" } }, ncontours: 25 },
    ...Object.entries(paths).map(([name, path]) => {
      const shown = path.points.filter(inside);
      return { type: "scatter", name, mode: "lines+markers", x: shown.map((p) => p[0]), y: shown.map((p) => p[1]), marker: { size: 3 } } as PlotlyTrace;
    }),
    { type: "scatter", name: "minimum", mode: "markers", x: [fn.minimum.x], y: [fn.minimum.y], marker: { symbol: "star", size: 12 } },
  ];
  const figure: PlotlyFigure = {
    data: traces,
    layout: { title: { text: options.title ?? `Optimizer paths on ${fn.name}` }, xaxis: { title: { text: "x" }, range: [x0, x1] }, yaxis: { title: { text: "y" }, range: [y0, y1] } },
  };
  return new Chart(plotlyToVegaLite(figure, { width: 420, height: 380 }), figure, `${fn.name}: ${Object.keys(paths).length} optimizer paths`);
}

function smooth(values: number[], weight: number): number[] {
  if (weight === 0) return values;
  let average: number | undefined;
  // debiased EMA, as TensorBoard smooths
  let debias = 1;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    average = average === undefined ? (1 - weight) * v : weight * average + (1 - weight) * v;
    debias *= weight;
    return average / (1 - debias);
  });
}
