/**
 * summarizeRuns against closed forms (runs a_i + s_i·d_r with d_r = r − (R−1)/2: mean a_i, range a_i ± s_i(R−1)/2,
 * sample std s_i·sqrt(R(R+1)/12)), with diverged runs left out; spreadChart's Plotly band / error bars and
 * their Vega-Lite translation and SVG; the errors.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { rng, spreadChart, summarizeRuns } from "../../src";
import { assertValidSpec, close, layerData, marks, texts } from "./helpers";

/** R runs of n points with known statistics, in shuffled order, plus a run that diverges part-way (NaN / Infinity). */
function knownRuns(random: ReturnType<typeof rng>, runCount: number, n: number) {
  const a = Array.from({ length: n }, () => 5 * random.normal());
  const s = Array.from({ length: n }, () => 0.1 + random.next());
  const runs = Array.from({ length: runCount }, (_, r) => a.map((ai, i) => ai + s[i] * (r - (runCount - 1) / 2)));
  random.shuffle(runs);
  const diverged = a.map((ai, i) => (i < n / 2 ? ai : i % 2 ? Number.NaN : Number.POSITIVE_INFINITY));
  const withDiverged = [...runs];
  withDiverged.splice(random.int(runCount + 1), 0, diverged);
  return { a, s, runs, withDiverged };
}

describe("summarizeRuns", () => {
  test("mean, min, max and sample std match their closed forms; non-finite values are left out", () => {
    const random = rng(11);
    for (let trial = 0; trial < 30; trial++) {
      const R = 2 + random.int(7);
      const n = 1 + random.int(40);
      const { a, s, runs, withDiverged } = knownRuns(random, R, n);
      const summary = summarizeRuns(runs);
      a.forEach((ai, i) => {
        const half = (s[i] * (R - 1)) / 2;
        assert.ok(close(summary.mean[i], ai, 1e-12), `trial ${trial}, point ${i}: mean`);
        assert.ok(close(summary.min[i], ai - half, 1e-12) && close(summary.max[i], ai + half, 1e-12), `trial ${trial}, point ${i}: range`);
        assert.ok(close(summary.std[i], s[i] * Math.sqrt((R * (R + 1)) / 12), 1e-10), `trial ${trial}, point ${i}: std ${summary.std[i]}`);
      });
      // the diverged run counts where it is finite (the first half, where it equals a_i), nowhere else
      const mixed = summarizeRuns(withDiverged);
      a.forEach((ai, i) => {
        if (i < n / 2) {
          assert.ok(close(mixed.mean[i], ai, 1e-12));
          assert.ok(close(mixed.std[i], s[i] * Math.sqrt(((R * (R * R - 1)) / 12) / R), 1e-10), "std over R + 1 values, the extra one at the mean");
        } else {
          assert.equal(mixed.mean[i], summary.mean[i]);
          assert.equal(mixed.std[i], summary.std[i]);
        }
      });
    }
  });

  test("a point with one finite run has no std; a point with none is NaN throughout", () => {
    const summary = summarizeRuns([[1, Number.NaN, 2], [Number.NaN, Number.NaN, 4]]);
    assert.deepEqual(summary.mean, [1, Number.NaN, 3]);
    assert.deepEqual(summary.min, [1, Number.NaN, 2]);
    assert.deepEqual(summary.max, [1, Number.NaN, 4]);
    assert.deepEqual(summary.std, [Number.NaN, Number.NaN, Math.SQRT2]);
  });

  test("ragged or empty runs are refused", () => {
    assert.throws(() => summarizeRuns([]), /^Error: summarizeRuns: runs must be a non-empty list of runs \(arrays of numbers\), got an empty list/);
    assert.throws(() => summarizeRuns([[1, 2], [1]]), /summarizeRuns: runs\[1\] has 1 values but runs\[0\] has 2; every run needs one value per point/);
    assert.throws(() => summarizeRuns([[1, null]] as never), /summarizeRuns: runs\[0\] must hold numbers, found null at index 1/);
  });
});

describe("spreadChart", () => {
  test("lines: the mean line over a min–max band, in Plotly and in its Vega-Lite translation and SVG", async () => {
    const random = rng(3);
    const x = Array.from({ length: 25 }, (_, i) => i * 10);
    const sgd = knownRuns(random, 5, x.length).withDiverged;
    const adam = knownRuns(random, 3, x.length).runs;
    const chart = spreadChart([{ name: "sgd", x, runs: sgd }, { name: "adam", x, runs: adam, dashed: true }], { title: "Loss over seeds", x: { title: "step" }, y: { title: "loss" } });
    assertValidSpec(chart.vegaLite);
    const expected = summarizeRuns(sgd);
    // Plotly: min edge, max edge filled down to it, then the mean; the edges are neither lines nor legend entries
    const [low, high, mean] = chart.plotly.data;
    assert.deepEqual([low.name, high.name, mean.name], ["sgd (min)", "sgd (max)", "sgd"]);
    assert.deepEqual(low.y, expected.min);
    assert.deepEqual(high.y, expected.max);
    assert.deepEqual(mean.y, expected.mean);
    assert.equal(high.fill, "tonexty");
    assert.ok(low.line?.width === 0 && high.line?.width === 0 && low.showlegend === false && high.showlegend === false);
    assert.equal(chart.plotly.data[5].line?.dash, "dash");
    // Vega-Lite: one band row per point (lo = min, hi = max) per series, the means as the line data
    const [points, bands] = [(chart.vegaLite.data as { values: Array<{ series: string; y: number }> }).values, layerData(chart.vegaLite)[1] as Array<{ band: string; x: number; lo: number; hi: number }>];
    assert.deepEqual(points.filter((p) => p.series === "sgd").map((p) => p.y), expected.mean);
    const sgdBand = bands.filter((b) => b.band === "0");
    assert.deepEqual(sgdBand.map((b) => [b.x, b.lo, b.hi]), x.map((xi, i) => [xi, expected.min[i], expected.max[i]]));
    assert.equal(bands.length, 2 * x.length);
    const svg = await chart.toSVG();
    assert.equal(marks(svg, "area").length, 2, "one band per series");
    assert.equal(marks(svg, "line").length, 2, "one mean line per series");
    const shown = texts(svg);
    for (const label of ["Loss over seeds", "step", "loss", "sgd", "adam"]) assert.ok(shown.includes(label), `${label} missing from ${shown}`);
    assert.ok(!shown.some((t) => t.includes("(min)") || t.includes("(max)")), "band edges stay out of the legend");
  });

  test("markers: min–max error bars; points where every run diverged are gaps", async () => {
    const x = [1, 2, 3, 4];
    const runs = [[1, 2, Number.NaN, 4], [3, 2, Number.NaN, 8], [2, 5, Number.NaN, 6]];
    const chart = spreadChart([{ name: "batch size", x, runs, mode: "markers", color: "#112233" }]);
    assertValidSpec(chart.vegaLite);
    assert.equal(chart.plotly.data.length, 1, "no band for markers");
    const [trace] = chart.plotly.data;
    assert.deepEqual(trace.y, [2, 3, null, 6]);
    assert.deepEqual(trace.error_y?.array, [1, 2, null, 2]);
    assert.deepEqual(trace.error_y?.arrayminus, [1, 1, null, 2]);
    const rules = layerData(chart.vegaLite).at(-1) as Array<{ x: number; lo: number; hi: number }>;
    assert.deepEqual(rules.map((r) => [r.x, r.lo, r.hi]), [[1, 1, 3], [2, 2, 5], [4, 4, 8]]);
    const svg = await chart.toSVG();
    assert.equal(marks(svg, "rule").length, 3);
    assert.equal((svg.match(/aria-roledescription="point"/g) ?? []).length, 3);
    assert.ok(/stroke="#112233"/.test(svg), "the series' colour");
  });

  test("bad input is refused, naming the builder, the series and the option", () => {
    const ok = { name: "a", x: [1, 2], runs: [[1, 2]] };
    assert.throws(() => spreadChart([]), /^Error: spreadChart: series must be a non-empty list of \{ name, x, runs \}/);
    assert.throws(() => spreadChart([{ ...ok, name: "" }]), /spreadChart: series\[0\]\.name must be a non-empty string/);
    assert.throws(() => spreadChart([{ ...ok, runs: [[1, 2], [1]] }]), /spreadChart: series\[0\] \("a"\): runs\[1\] has 1 values but x has 2/);
    assert.throws(() => spreadChart([{ ...ok, runs: [] }]), /spreadChart: series\[0\] \("a"\): runs must be a non-empty list of runs/);
    assert.throws(() => spreadChart([{ ...ok, mode: "bars" as never }]), /spreadChart: series\[0\] \("a"\): mode must be one of "lines", "markers", "lines\+markers", got "bars"/);
    assert.throws(() => spreadChart([{ ...ok, color: "blue" }]), /spreadChart: series\[0\] \("a"\): color must be a colour as #rrggbb, got "blue"/);
    assert.throws(() => spreadChart([{ ...ok, runs: [[1, 0]] }], { y: { log: true } }), /spreadChart: series\[0\] \("a"\): runs\[0\] holds 0, but y is on a log scale \(y\.log\), so its values must be > 0/);
    assert.throws(() => spreadChart([{ ...ok, y: [1, 2] } as never]), /spreadChart: series\[0\] \("a"\): unknown option "y" \(allowed: name, x, runs, mode, color, dashed\)/);
    assert.throws(() => spreadChart([ok], { x: { log: "yes" } } as never), /spreadChart: x\.log must be true or false, got "yes"/);
  });
});
