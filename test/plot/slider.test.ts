/**
 * sliderChart: the Plotly figure holds every frame's traces with one slider step per frame whose visibility
 * array shows exactly that frame; the Vega-Lite spec holds every frame's rows behind a bound parameter when the
 * frames share a structure (else the active frame's spec); the SVG draws the active frame; the errors.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { histogram, illConditionedQuadratic, lineChart, plotlyToVegaLite, rng, sliderChart, spreadChart, trajectoryChart, type Chart, type Trajectory } from "../../src";
import { assertValidSpec, layerData, marks, texts } from "./helpers";

/** The d attribute of every line mark: what the lines look like, independent of titles. */
const linePaths = (svg: string) => marks(svg, "line").map((m) => /\sd="([^"]*)"/.exec(m)?.[1]);

interface Step {
  label: string;
  method: string;
  args: [{ visible: boolean[] }, { title: { text: string } }];
}

describe("sliderChart", () => {
  test("visibility arrays show exactly one frame's traces per step, over random frame counts and trace counts", () => {
    const random = rng(8);
    for (let trial = 0; trial < 15; trial++) {
      const frameCount = 1 + random.int(6);
      const frames = Array.from({ length: frameCount }, (_, k) => {
        const traces = 1 + random.int(3);
        const series = Array.from({ length: traces }, (_, t) => ({ name: `s${t}`, x: [0, 1, 2], y: [random.next(), random.next(), random.next()] }));
        return { label: `lr ${k}`, chart: lineChart(series, { title: "Loss" }), traces };
      });
      const active = random.int(frameCount);
      const chart = sliderChart(frames.map(({ label, chart }) => ({ label, chart })), { sliderLabel: "learning rate", active });
      const owner = frames.flatMap((f, k) => Array.from({ length: f.traces }, () => k));
      assert.equal(chart.plotly.data.length, owner.length, "every frame's traces, concatenated");
      // the traces are the frames' own, in order
      let t = 0;
      frames.forEach((f) => f.chart.plotly.data.forEach((trace) => assert.deepEqual({ ...chart.plotly.data[t++], visible: undefined }, { ...trace, visible: undefined })));
      assert.deepEqual(chart.plotly.data.map((trace) => trace.visible), owner.map((o) => o === active));
      const [slider] = chart.plotly.layout?.sliders as Array<{ active: number; steps: Step[]; currentvalue: { prefix: string } }>;
      assert.equal(slider.active, active);
      assert.equal(slider.currentvalue.prefix, "learning rate: ");
      assert.deepEqual(slider.steps.map((s) => s.label), frames.map((f) => f.label));
      slider.steps.forEach((step, k) => {
        assert.equal(step.method, "update");
        assert.deepEqual(step.args[0].visible, owner.map((o) => o === k));
      });
      // translating the figure draws only the visible (active) frame
      const translated = (plotlyToVegaLite(chart.plotly).data as { values: unknown[] }).values;
      assert.deepEqual(translated, (frames[active].chart.vegaLite.data as { values: unknown[] }).values);
    }
  });

  test("frames of one builder: Vega-Lite holds every frame behind a slider parameter, and the SVG draws the active frame", async () => {
    const random = rng(21);
    const x = Array.from({ length: 12 }, (_, i) => i);
    const lrs = [0.01, 0.1, 0.5];
    const frames = lrs.map((lr) => ({
      label: `lr ${lr}`,
      chart: spreadChart([{ name: "loss", x, runs: [0, 1, 2].map(() => x.map((i) => Math.exp(-lr * i) + 0.05 * random.next())) }], { title: "Loss over seeds" }),
    }));
    const chart = sliderChart(frames, { sliderLabel: "step size", active: 2 });
    assertValidSpec(chart.vegaLite);
    const params = chart.vegaLite.params as Array<{ name: string; value: number; bind: { input: string; min: number; max: number; step: number } }>;
    assert.deepEqual(params.map((p) => [p.name, p.value, p.bind.input, p.bind.min, p.bind.max, p.bind.step]), [["frame", 2, "range", 0, 2, 1]]);
    // every inline data set holds each frame's rows, tagged, and filters them by the parameter first
    const merged = layerData(chart.vegaLite);
    frames.forEach((frame, k) => {
      const own = layerData(frame.chart.vegaLite);
      assert.equal(merged.length, own.length);
      own.forEach((rows, d) => assert.deepEqual(merged[d].filter((r) => r._frame === k).map(({ _frame, ...rest }) => rest), rows));
    });
    assert.deepEqual(chart.vegaLite.transform?.[0], { filter: "datum._frame == frame" });
    const svg = await chart.toSVG();
    const activeSvg = await frames[2].chart.toSVG();
    assert.deepEqual(linePaths(svg), linePaths(activeSvg), "the same line as the active frame alone");
    assert.equal(marks(svg, "area").length, 1);
    assert.ok(texts(svg).includes("Loss over seeds — step size: lr 0.5"), `title in ${texts(svg)}`);
  });

  test("what every frame draws identically (a contour background) is stored once and shown in every frame", async () => {
    const valley = illConditionedQuadratic({ condition: 10, angle: 0.4 });
    const path = (shrink: number): Trajectory => {
      const points: [number, number][] = Array.from({ length: 12 }, (_, t) => [valley.start.x * shrink ** t, valley.start.y * (-shrink) ** t]);
      return { points, losses: points.map(([x, y]) => valley.value(x, y)), diverged: false, distanceToMinimum: Math.hypot(...points[11]) };
    };
    const shrinks = [0.5, 0.7, 0.9];
    const alone = shrinks.map((shrink) => trajectoryChart(valley, { "gradient descent": path(shrink) }));
    const chart = sliderChart(alone.map((frame, k) => ({ label: `shrink ${shrinks[k]}`, chart: frame })), { active: 1 });
    const perFrame = alone[0].plotly.data.length;
    const background = alone[0].plotly.data.filter((trace) => alone.every((frame) => frame.plotly.data.some((other) => JSON.stringify(other) === JSON.stringify(trace))));
    assert.ok(background.length >= 1, "the frames share their contour");
    assert.equal(chart.plotly.data.length, background.length + shrinks.length * (perFrame - background.length), "shared traces once, the rest per frame");
    const steps = (chart.plotly.layout?.sliders as Array<{ steps: Step[] }>)[0].steps;
    chart.plotly.data.forEach((trace, t) => {
      const shared = background.some((b) => JSON.stringify({ ...b, visible: true }) === JSON.stringify(trace));
      const visibleIn = steps.map((step) => step.args[0].visible[t]);
      if (shared) assert.deepEqual(visibleIn, [true, true, true], `shared trace ${t}: shown in every frame`);
      else assert.equal(visibleIn.filter(Boolean).length, 1, `trace ${t}: shown in one frame`);
    });
    // the Vega-Lite spec: a background's rows once, untagged; every frame's path rows tagged
    const rows = JSON.stringify(chart.vegaLite).length;
    const sum = alone.reduce((n, frame) => n + JSON.stringify(frame.vegaLite).length, 0);
    assert.ok(rows < sum / 2, `merged spec ${rows} bytes, the frames ${sum}`);
    assertValidSpec(chart.vegaLite);
    assert.deepEqual(linePaths(await chart.toSVG()), linePaths(await alone[1].toSVG()), "the SVG draws the active frame, background included");
  });

  test("frames of different builders: the active frame's spec, titled with its label", async () => {
    const frames = [
      { label: "lines", chart: lineChart([{ name: "a", x: [0, 1, 2], y: [3, 1, 2] }]) },
      { label: "histogram", chart: histogram({ a: [1, 2, 2, 3] }, { bins: 3 }) },
    ];
    for (const active of [0, 1]) {
      const chart = sliderChart(frames, { title: "Mixed", active });
      assertValidSpec(chart.vegaLite);
      assert.equal(chart.vegaLite.params, undefined);
      assert.equal(chart.vegaLite.title, `Mixed — frame: ${frames[active].label}`);
      assert.deepEqual(layerData(chart.vegaLite), layerData(frames[active].chart.vegaLite));
      const svg = await chart.toSVG();
      assert.equal(marks(svg, "rect").length, active === 1 ? 3 : 0);
      assert.deepEqual(linePaths(svg), linePaths(await frames[active].chart.toSVG()));
      const steps = (chart.plotly.layout?.sliders as Array<{ steps: Step[] }>)[0].steps;
      assert.deepEqual(steps.map((s) => s.args[1].title.text), ["Mixed", "Mixed"]);
    }
  });

  test("bad input is refused, naming the builder and the option", () => {
    const frame = (label: string, chart: Chart = lineChart([{ name: "a", x: [1, 2], y: [1, 2] }])) => ({ label, chart });
    assert.throws(() => sliderChart([]), /^Error: sliderChart: frames must be a non-empty list of \{ label, chart \}/);
    assert.throws(() => sliderChart([frame("a"), frame("a")]), /sliderChart: frame labels must differ \(they name the slider's steps\); "a" is repeated/);
    assert.throws(() => sliderChart([frame("a")], { active: 1 }), /sliderChart: active must be an integer in \[0, 0\], got 1/);
    assert.throws(() => sliderChart([frame("")]), /sliderChart: frames\[0\]\.label must be a non-empty string/);
    assert.throws(() => sliderChart([{ label: "a", chart: { data: [] } as never }]), /sliderChart: frames\[0\]\.chart must be a chart from a builder/);
    assert.throws(() => sliderChart([frame("a"), frame("b", lineChart([{ name: "a", x: [1, 2], y: [1, 2] }], { y: { log: true } }))]), /sliderChart: frames must share their axes, but frames\[1\]'s y axis is log where frames\[0\]'s is linear/);
    assert.throws(() => sliderChart([frame("a", sliderChart([frame("b")]))]), /sliderChart: frames\[0\]\.chart already has a slider/);
    assert.throws(() => sliderChart([frame("a")], { label: "x" } as never), /sliderChart: unknown option "label" \(allowed: title, sliderLabel, active\)/);
  });
});
