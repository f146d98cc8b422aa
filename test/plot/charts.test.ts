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
    assert.throws(() => plotlyToVegaLite({ data: [{ type: "bar", x: [1], y: [1] }] }), /trace 0 has type "bar"/);
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

  test("trajectoryChart refuses bad input, naming the option", () => {
    const fn = rosenbrock();
    const path = trajectory(fn, sgd({ lr: 1e-3 }), { steps: 2 });
    assert.throws(() => trajectoryChart(fn, {}), /trajectoryChart: paths must name at least one trajectory/);
    assert.throws(() => trajectoryChart(fn, { a: path }, { resolution: 1 }), /trajectoryChart: resolution must be an integer in \[2, 400\], got 1/);
    assert.throws(() => trajectoryChart(fn, { a: path }, { levels: 0 }), /trajectoryChart: levels must be an integer >= 1, got 0/);
    assert.throws(() => trajectoryChart(fn, { a: { ...path, points: [] } }), /paths\["a"\] is not a trajectory/);
  });
});
