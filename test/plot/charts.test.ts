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
  Chart,
  batchSizeChart,
  cosine,
  fit,
  lineChart,
  linearRegression,
  linearWarmup,
  lossCurves,
  lrRangeChart,
  plotlyBundle,
  plotlyToVegaLite,
  resetPlotlySession,
  rosenbrock,
  scheduleChart,
  sample,
  sgd,
  splitDataset,
  step,
  trajectory,
  trajectoryChart,
  vegaLiteBundle,
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

async function display(chart: Chart): Promise<Record<string, unknown>> {
  const method = (chart as unknown as Record<symbol, () => Promise<Record<string, unknown>>>)[Symbol.for("Jupyter.display")];
  return method.call(chart);
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
    assert.deepEqual(perStep.plotly.data.map((t) => t.name), ["sgd", "momentum"]);
    assert.deepEqual(perStep.plotly.data[0].y, runs.sgd.steps.map((s) => s.loss));
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

  test("trajectories over contours: a heatmap of the function plus each path inside the window", async () => {
    const fn = rosenbrock();
    const path = trajectory(fn, momentum({ lr: 1e-3, momentum: 0.9 }), { steps: 50 });
    const chart = trajectoryChart(fn, { momentum: path }, { resolution: 20 });
    assertValidSpec(chart.vegaLite);
    const heat = chart.vegaLite.layer?.[0];
    assert.equal((heat?.data as { values: unknown[] }).values.length, 400);
    const [x0, x1] = fn.domain.x;
    assert.ok(chart.plotly.data[1].x?.every((x) => x >= x0 && x <= x1));
    assert.match(await chart.toSVG(), /^<svg/);
  });
});

describe("bundles", () => {
  test("a Chart displays as Vega-Lite, Plotly, SVG and text, all JSON", async () => {
    const bundle = await display(lineChart([{ name: "a", x: [0, 1], y: [1, 2] }], { title: "T" }));
    assert.deepEqual(Object.keys(bundle).sort(), ["application/vnd.plotly.v1+json", "application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]);
    assert.deepEqual(JSON.parse(JSON.stringify(bundle)), bundle);
    assert.equal(bundle["text/plain"], "<T: 1 series, 2 points>");
  });

  test("vegaLiteBundle adds the schema and renders SVG; a broken spec is an error", async () => {
    const bundle = await vegaLiteBundle({ mark: "point", data: { values: [{ a: 1, b: 2 }] }, encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } } });
    assert.equal((bundle["application/vnd.vegalite.v5+json"] as VegaLiteSpec).$schema, "https://vega.github.io/schema/vega-lite/v5.json");
    assert.match(bundle["image/svg+xml"] as string, /^<svg/);
    await assert.rejects(vegaLiteBundle({ mark: "nonsense-mark" }), /vegalite: the spec does not compile/);
  });

  test("plotly.js is inlined once per session; later bundles draw with the loaded library", async () => {
    resetPlotlySession();
    const figure = { data: [{ type: "scatter", x: [1, 2], y: [2, 1], name: "a" }], layout: { title: { text: "fig" } } };
    const first = (await plotlyBundle(figure))["text/html"] as string;
    const second = (await plotlyBundle(figure))["text/html"] as string;
    const marker = "window.Plotly = module.exports";
    assert.equal(first.split(marker).length - 1, 1);
    assert.ok(!second.includes(marker) && second.includes("Plotly.newPlot"));
    assert.ok(!first.slice(first.indexOf("<div")).toLowerCase().includes("</script><script"), "one script per part");
    resetPlotlySession();
    assert.ok(((await plotlyBundle(figure))["text/html"] as string).includes(marker));
    assert.match((await plotlyBundle(figure))["text/plain"] as string, /^<Plotly figure: fig: 1 trace>$/);
  });
});
