/**
 * Charts: the specs validate against Vega-Lite's own JSON schema, the SVG that vega renders in Node shows
 * the data, the Plotly figure and its Vega-Lite translation hold the same points, bundles are JSON, and
 * bad input is refused with errors naming the option.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import Ajv from "ajv";
import * as tf from "@tensorflow/tfjs";
import {
  batchSizeChart,
  cosine,
  fit,
  lineChart,
  linearRegression,
  linearWarmup,
  lossCurves,
  lrRangeChart,
  plotlyToVegaLite,
  rosenbrock,
  illConditionedQuadratic,
  scheduleChart,
  sample,
  sgd,
  splitDataset,
  step,
  trajectory,
  trajectoryChart,
  momentum,
  epochMetric,
  vegaLiteBundle,
  type PlotlyFigure,
  type VegaLiteSpec,
} from "../../src";

const ajv = new Ajv({ strict: false, allowUnionTypes: true });
const validateVegaLite = ajv.compile(require("vega-lite/build/vega-lite-schema.json"));

function assertValidSpec(spec: VegaLiteSpec): void {
  const ok = validateVegaLite(spec);
  assert.ok(ok, `invalid Vega-Lite: ${ajv.errorsText(validateVegaLite.errors)}`);
}

/** The <text> contents of an SVG (legend labels, axis titles, tick labels). */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}


describe("line charts", () => {
  const series = [
    { name: "train", x: [1, 2, 3, 4], y: [1, 0.1, 0.01, 0.001] },
    { name: "validation", x: [1, 2, 3, 4], y: [1.2, 0.2, 0.05, 0.02], dashed: true },
  ];

  test("the spec is valid Vega-Lite and holds every point of the Plotly figure", () => {
    const chart = lineChart(series, { title: "Loss", x: { title: "epoch" }, y: { title: "loss", log: true } });
    assertValidSpec(chart.vegaLite);
    const values = (chart.vegaLite.data as { values: Array<{ series: string; x: number; y: number }> }).values;
    for (const trace of chart.plotly.data) {
      const mine = values.filter((v) => v.series === trace.name);
      assert.deepEqual(mine.map((v) => [v.x, v.y]), trace.x?.map((x, i) => [x, trace.y?.[i]]));
    }
    assert.equal(chart.plotly.layout?.yaxis?.type, "log");
  });

  test("the SVG rendered in Node has the title, axis titles, legend and log-scale ticks", async () => {
    const svg = await lineChart(series, { title: "Loss", x: { title: "epoch" }, y: { title: "loss", log: true } }).toSVG();
    const shown = texts(svg);
    for (const label of ["Loss", "epoch", "loss", "train", "validation"]) assert.ok(shown.includes(label), `${label} missing from ${shown}`);
    // a log axis over 1e-3..1.2 labels powers of ten
    for (const tick of ["0.001", "0.01", "0.1", "1"]) assert.ok(shown.includes(tick), `log tick ${tick} missing from ${shown}`);
    // a line per series; dashes only where a series asks for them
    assert.equal((svg.match(/<g class="mark-line role-mark/g) ?? []).length, 2);
    assert.ok(/<path[^>]*stroke-dasharray="6,4"/.test(svg));
    const solid = await lineChart([series[0]], { y: { log: true } }).toSVG();
    assert.ok(!/stroke-dasharray="6,4"/.test(solid));
  });

  test("non-finite values are gaps, not errors (a diverged run)", () => {
    const chart = lineChart([{ name: "diverged", x: [0, 1, 2], y: [1, Number.NaN, Number.POSITIVE_INFINITY] }]);
    assert.equal((chart.vegaLite.data as { values: unknown[] }).values.length, 1);
    // JSON has no NaN: Plotly's gap is null
    assert.deepEqual(chart.plotly.data[0].y, [1, null, null]);
  });

  test("bad input is refused, naming the builder, the series and the option", () => {
    assert.throws(() => lineChart([]), /^Error: lineChart: series must be a non-empty list/);
    assert.throws(() => lineChart([{ name: "a", x: [1, 2], y: [1] }]), /lineChart: series\[0\] \("a"\): x has 2 values but y has 1/);
    assert.throws(() => lineChart([{ name: "a", x: [1], y: [0] }], { y: { log: true } }), /series\[0\] \("a"\): y is on a log scale, so its values must be > 0, found 0/);
    assert.throws(() => plotlyToVegaLite({ data: [{ type: "pie", values: [1], labels: ["a"] }] }), /trace 0 has type "pie"/);
  });
});

describe("experiment charts", () => {
  test("loss curves of real fit() histories, per step and per epoch with validation", async () => {
    const [train, validation] = splitDataset(linearRegression({ n: 64, features: 2, noise: 0.1, seed: 1 }), { count: 48 });
    const runs: Record<string, Awaited<ReturnType<typeof fit>>> = {};
    for (const [name, optimizer] of [["sgd", sgd({ lr: 0.05 })], ["momentum", momentum({ lr: 0.05, momentum: 0.9 })]] as const) {
      const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, kernelInitializer: "zeros" })] });
      runs[name] = await fit(model, { optimizer, loss: "meanSquaredError", data: train, validation, epochs: 3, batchSize: 16, progress: "none" });
      model.dispose();
    }
    const perStep = lossCurves(runs, { logY: true });
    assertValidSpec(perStep.vegaLite);
    assert.deepEqual(perStep.plotly.data.map((t) => t.name), ["sgd", "sgd (validation)", "momentum", "momentum (validation)"]);
    assert.deepEqual(perStep.plotly.data[0].y, runs.sgd.steps.map((s) => s.loss));
    // per step, the validation loss sits at each epoch's last optimizer step
    assert.deepEqual(perStep.plotly.data[1].x, runs.sgd.epochs.map((e) => e.steps));
    assert.deepEqual(perStep.plotly.data[1].y, runs.sgd.epochs.map((e) => e.valLoss));
    assert.equal(runs.sgd.epochs.at(-1)?.steps, runs.sgd.steps.length);
    const perEpoch = lossCurves(runs, { per: "epoch" });
    assert.deepEqual(perEpoch.plotly.data.map((t) => t.name), ["sgd (train)", "sgd (validation)", "momentum (train)", "momentum (validation)"]);
    assert.deepEqual(perEpoch.plotly.data[1].y, runs.sgd.epochs.map((e) => e.valLoss));
    assert.equal(perEpoch.plotly.data[1].line?.dash, "dash");
    assert.ok(texts(await perEpoch.toSVG()).includes("sgd (validation)"));
  });

  test("schedules are drawn from their own values", () => {
    const schedules = { step: step({ lr: 0.1, stepSize: 30, gamma: 0.5 }), "warmup + cosine": linearWarmup({ steps: 10 }, cosine({ lr: 0.1, tMax: 90 })) };
    const chart = scheduleChart(schedules, 100);
    assertValidSpec(chart.vegaLite);
    assert.deepEqual(chart.plotly.data[1].y, sample(schedules["warmup + cosine"], 100));
    assert.throws(() => scheduleChart(schedules, 0), /scheduleChart: steps must be an integer >= 1, got 0/);
  });

  test("batch-size sweep: reached points on log-log axes beside perfect scaling", () => {
    const points = [
      { batchSize: 8, reached: true, diverged: false, steps: 400, samples: 3200, seconds: 4, finalLoss: 0.1 },
      { batchSize: 32, reached: true, diverged: false, steps: 120, samples: 3840, seconds: 2, finalLoss: 0.1 },
      { batchSize: 128, reached: false, diverged: true, steps: 10, samples: 1280, seconds: 1, finalLoss: Number.NaN },
    ];
    const chart = batchSizeChart(points);
    assertValidSpec(chart.vegaLite);
    assert.deepEqual(chart.plotly.data[0].x, [8, 32]);
    assert.deepEqual(chart.plotly.data[1].y, [400, 100]);
    assert.throws(() => batchSizeChart([points[2]]), /batchSizeChart: no batch size reached the target loss/);
  });

  test("LR range test: the suggested rate is marked", () => {
    const lrs = [1e-4, 1e-3, 1e-2, 1e-1, 1];
    const chart = lrRangeChart({ lrs, losses: [2.3, 2.2, 1.5, 0.9, 5], smoothed: [2.3, 2.25, 1.9, 1.4, 3], steepest: 1e-2, minimumTenth: 1e-2 });
    assertValidSpec(chart.vegaLite);
    assert.deepEqual(chart.plotly.data[2].x, [1e-2, 1e-2]);
    assert.equal(chart.plotly.layout?.xaxis?.type, "log");
  });

  test("trajectories over contours: iso-lines of the function at Plotly's levels, every path point, the window as the axes", async () => {
    const fn = illConditionedQuadratic({ condition: 10, angle: 0.5 });
    const paths = {
      sgd: trajectory(fn, sgd({ lr: 0.05 }), { steps: 40 }),
      // diverges (lr > 2/κ): its points leave the window and are clipped, not dropped
      "sgd lr 0.25": trajectory(fn, sgd({ lr: 0.25 }), { steps: 8 }),
    };
    const chart = trajectoryChart(fn, paths, { resolution: 40, levels: 8 });
    assertValidSpec(chart.vegaLite);
    const [contour, group] = chart.vegaLite.layer ?? [];
    // the iso-line points lie on their level: log10(f − f* + 1e-3) = level, up to linear interpolation on the grid
    const lines = (contour.data as { values: Array<{ x: number; y: number; level: number; line: number }> }).values;
    const levels = [...new Set(lines.map((p) => p.level))];
    assert.ok(levels.length >= 4 && levels.length <= 8, `${levels.length} levels`);
    // (levels below -1 are ellipses only a few grid cells wide, where the interpolation is coarse)
    const wide = lines.filter((p) => p.level >= -1);
    assert.ok(wide.length > 100);
    for (const p of wide) assert.ok(Math.abs(Math.log10(fn.value(p.x, p.y) + 1e-3) - p.level) < 0.05, `(${p.x}, ${p.y}) off level ${p.level}`);
    // the paths are drawn whole (Plotly and vega clip them to the window)
    for (const [i, path] of Object.values(paths).entries()) {
      assert.deepEqual(chart.plotly.data[i + 1].x, path.points.map((p) => p[0]));
    }
    assert.ok(paths["sgd lr 0.25"].points.some(([x, y]) => Math.abs(x) > 2 || Math.abs(y) > 2), "the divergent path leaves the window");
    const scale = (channel: "x" | "y") => ((group.layer?.[0].encoding?.[channel] as { scale: { domain: number[] } }).scale.domain);
    assert.deepEqual(scale("x"), fn.domain.x);
    assert.deepEqual(scale("y"), fn.domain.y);
    // one legend for the paths and the minimum (lines and markers share it), one colour bar for the levels
    const svg = await chart.toSVG();
    const shown = texts(svg);
    for (const name of ["sgd", "sgd lr 0.25", "minimum"]) assert.equal(shown.filter((t) => t === name).length, 1, `${name} in ${shown}`);
    assert.equal((svg.match(/<g class="mark-group role-legend"/g) ?? []).length, 2);
    assert.ok(shown.includes("log10(f − f*)"));
  });

  test("trajectoryChart marks every step of a short path and draws a long one as a line alone", async () => {
    const fn = rosenbrock();
    const short = trajectory(fn, sgd({ lr: 1e-3 }), { steps: 199 });
    const long = trajectory(fn, sgd({ lr: 1e-3 }), { steps: 1000 });
    const chart = trajectoryChart(fn, { short, long }, { resolution: 30, levels: 6 });
    assert.deepEqual(chart.plotly.data.slice(1, 3).map((t) => t.mode), ["lines+markers", "lines"]);
    assert.equal(chart.plotly.data[2].x?.length, 1001, "the long path is drawn whole");
    // the static SVG: one symbol per marked step (aria-labelled "…; series: short"), none for the long path's steps
    const svg = await chart.toSVG();
    const symbols = (name: string) => (svg.match(new RegExp(`series: ${name}"`, "g")) ?? []).length;
    assert.equal(symbols("short"), 200);
    assert.equal(symbols("long"), 0);
  });

  test("trajectoryChart refuses bad input, naming the option", () => {
    const fn = rosenbrock();
    const path = trajectory(fn, sgd({ lr: 1e-3 }), { steps: 2 });
    assert.throws(() => trajectoryChart(fn, {}), /trajectoryChart: paths must name at least one trajectory/);
    assert.throws(() => trajectoryChart(fn, { a: path }, { resolution: 1 }), /trajectoryChart: resolution must be an integer in \[2, 400\], got 1/);
    assert.throws(() => trajectoryChart(fn, { a: path }, { levels: 0 }), /trajectoryChart: levels must be an integer >= 1, got 0/);
    assert.throws(() => trajectoryChart(fn, { a: { ...path, points: [] } }), /paths\["a"\] is not a trajectory/);
  });
});

describe("plotlyToVegaLite", () => {
  test("colours, marker symbols and sizes carry over, so the static chart looks like the interactive one", async () => {
    const figure: PlotlyFigure = {
      data: [
        { type: "scatter", name: "a", mode: "lines", x: [0, 1, 2], y: [0, 1, 0], line: { color: "#112233" } },
        { type: "scatter", name: "b", mode: "markers", x: [1], y: [0.5], marker: { color: "#445566", symbol: "star", size: 12 } },
      ],
    };
    const spec = plotlyToVegaLite(figure);
    assertValidSpec(spec);
    const svg = await vegaLiteBundle(spec).then((b) => b["image/svg+xml"] as string);
    assert.match(svg, /<path[^>]*aria-roledescription="line mark"[^>]*stroke="#112233"|<path[^>]*stroke="#112233"/);
    // a 10-vertex star of diameter 12 (radius 6), filled in b's colour
    const star = svg.match(/<path aria-label="x: 1; y: 0.5; series: b"[^>]*d="([^"]+)"[^>]*fill="#445566"/);
    assert.ok(star, "the star marker");
    assert.equal(star[1].split("L").length, 10);
    assert.ok(star[1].startsWith("M0,-6L"));
  });

  test("axis ranges become fixed domains (log ranges are log10 of the data, as in Plotly)", () => {
    const spec = plotlyToVegaLite({
      data: [{ type: "scatter", x: [1, 10, 100], y: [5, 6, 7] }],
      layout: { xaxis: { type: "log", range: [0, 3] }, yaxis: { range: [0, 10] } },
    });
    const encoding = spec.layer?.[0].encoding as Record<string, { scale: { domain?: number[]; type?: string } }>;
    assert.deepEqual(encoding.x.scale.domain, [1, 1000]);
    assert.equal(encoding.x.scale.type, "log");
    assert.deepEqual(encoding.y.scale.domain, [0, 10]);
  });

  test("contour levels as given by contours.start/end/size; heatmaps as one cell per grid point", () => {
    const xs = [0, 1, 2, 3];
    const ys = [0, 1, 2];
    const z = ys.map((y) => xs.map((x) => x + y));
    const contour = plotlyToVegaLite({ data: [{ type: "contour", x: xs, y: ys, z, contours: { start: 1, end: 4, size: 1.5 } }] });
    assertValidSpec(contour);
    const levels = new Set((contour.layer?.[0].data as { values: Array<{ level: number }> }).values.map((v) => v.level));
    assert.deepEqual([...levels], [1, 2.5, 4]);
    const heatmap = plotlyToVegaLite({ data: [{ type: "heatmap", x: xs, y: ys, z }] });
    assertValidSpec(heatmap);
    const cells = (heatmap.layer?.[0].data as { values: Array<{ x: number; x2: number; z: number }> }).values;
    assert.equal(cells.length, 12);
    assert.deepEqual([cells[0].x, cells[0].x2, cells[0].z], [-0.5, 0.5, 0]);
    assert.throws(() => plotlyToVegaLite({ data: [{ type: "heatmap", x: xs, y: ys, z: [[1, 2]] }] }), /trace 0 \(heatmap\) needs finite x \(>= 2 columns\), y \(>= 2 rows\) and z\[rows\]\[columns\] of matching sizes/);
    assert.throws(() => plotlyToVegaLite({ data: [{ type: "contour", x: xs, y: ys, z, contours: { start: 1, end: 4, size: 0 } }] }), /trace 0 contours need finite start <= end and size > 0/);
  });
});

describe("builder input", () => {
  const history = (losses: number[], valLosses?: number[]) => ({
    steps: losses.map((loss, i) => ({ step: i + 1, epoch: 0, loss, lr: 0.1, gradientNorm: 1, items: 1, samplesPerSecond: 1, tensorBytes: 0 })),
    epochs: (valLosses ?? [losses.at(-1) as number]).map((v, e) => ({ epoch: e, loss: v, seconds: 1, steps: losses.length, ...(valLosses ? { valLoss: v } : {}) })),
  });

  test("lossCurves: a run's training and validation curves share its colour; plain series are smoothed (debiased EMA)", () => {
    const chart = lossCurves({ a: history([1, 0.5], [0.7]), b: history([2, 1], [1.5]) });
    const colours = chart.plotly.data.map((t) => t.line?.color);
    assert.equal(colours[0], colours[1]);
    assert.equal(colours[2], colours[3]);
    assert.notEqual(colours[0], colours[2]);
    const plain = lossCurves([{ name: "run", x: [1, 2, 3], y: [1, 0, 0] }], { smoothing: 0.5 });
    // EMA with weight w, divided by 1 − wⁿ: [1, 0.25/0.75, 0.125/0.875]
    const y = plain.plotly.data[0].y as number[];
    [1, 1 / 3, 1 / 7].forEach((v, i) => assert.ok(Math.abs(y[i] - v) < 1e-12, `${y[i]} vs ${v}`));
    assert.throws(() => lossCurves({}), /lossCurves: runs must hold at least one history/);
    assert.throws(() => lossCurves({ a: history([1]) }, { smoothing: 1 }), /lossCurves: smoothing must be in \[0, 1\), got 1/);
    assert.throws(() => lossCurves({ a: { steps: [] } as unknown as ReturnType<typeof history> }), /lossCurves: run "a" is not a fit\(\) history/);
    assert.throws(() => lossCurves({ a: history([1, 0]) }, { logY: true }), /lossCurves: series\[0\] \("a"\): y is on a log scale, so its values must be > 0, found 0/);
    assert.throws(() => lossCurves({ a: history([1]) }, { log: true } as never), /lossCurves: unknown option "log" \(allowed: per, logY, smoothing, title\)/);
  });

  test("epochMetric, lineChart, batchSizeChart and lrRangeChart name the bad option", () => {
    assert.throws(() => epochMetric({ a: history([1]) }, "valAccuracy"), /epochMetric: run "a" has no valAccuracy in its epochs/);
    assert.throws(() => epochMetric({ a: history([1]) }, "acc" as never), /epochMetric: metric must be one of "loss", "accuracy", "valLoss", "valAccuracy", got "acc"/);
    assert.throws(() => lineChart([{ name: "a", x: [1], y: [1] }], { logY: true } as never), /lineChart: unknown option "logY"/);
    assert.throws(() => lineChart([{ name: "a", x: [1], y: [1] }], { width: 10 }), /lineChart: width must be an integer >= 50 \(pixels\), got 10/);
    assert.throws(() => batchSizeChart([], {}), /batchSizeChart: points must be a non-empty list/);
    assert.throws(
      () => batchSizeChart([{ batchSize: 8, reached: true, diverged: false, steps: 1, samples: 8, seconds: 1, finalLoss: 0 }], { metric: "time" as never }),
      /batchSizeChart: metric must be one of "steps", "samples", "seconds", got "time"/,
    );
    const result = { lrs: [1e-3, 1e-2, 1e-1], losses: [2, 1, 3], smoothed: [2, 1.5, 2], steepest: 1e-2, minimumTenth: 1e-3 };
    const chart = lrRangeChart(result);
    assert.deepEqual(chart.plotly.data.map((t) => t.name), ["loss", "smoothed loss", "steepest descent (lr 0.010)", "minimum / 10 (lr 0.0010)"]);
    assert.deepEqual(chart.plotly.data[3].x, [1e-3, 1e-3]);
    assert.deepEqual(chart.plotly.data[3].y, [1, 3], "the marks span the losses shown");
    assert.throws(() => lrRangeChart({ ...result, losses: [1] }), /lrRangeChart: result.losses must hold one loss per learning rate \(3\), got 1/);
    assert.throws(() => lrRangeChart({ ...result, steepest: 0 }), /lrRangeChart: result.steepest must be a learning rate > 0, got 0/);
    assert.throws(() => lrRangeChart({ ...result, lrs: [0, 1e-2, 1e-1] }), /lrRangeChart: series\[0\] \("loss"\): x is on a log scale, so its values must be > 0, found 0/);
  });
});
