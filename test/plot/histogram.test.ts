/**
 * histogram: shared bin edges and counts against an independent count over random samples (normal, log-normal
 * and integer-valued, so values fall on edges), fractions, the Plotly bars and their Vega-Lite translation,
 * the rendered SVG, and the errors.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { histogram, rng } from "../../src";
import { binSamples } from "../../src/plot/histogram";
import { assertValidSpec, close, marks, texts } from "./helpers";

type Kind = "normal" | "lognormal" | "integer";

function draw(kind: Kind, n: number, random: ReturnType<typeof rng>): number[] {
  const values = Array.from({ length: n }, () => (kind === "normal" ? 3 * random.normal() - 1 : kind === "lognormal" ? Math.exp(2 * random.normal()) : random.int(11)));
  // a diverged run: some non-finite values, which are left out
  for (let i = 0; i < n; i += 17) values[i] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][i % 3];
  return values;
}

describe("histogram", () => {
  test("edges span the finite values (log-spaced on a log axis) and counts match a direct count, over random samples", () => {
    const random = rng(2024);
    for (let trial = 0; trial < 40; trial++) {
      const kind = (["normal", "lognormal", "integer"] as const)[trial % 3];
      const log = kind === "lognormal";
      const bins = kind === "integer" ? 10 : 1 + random.int(40);
      const samples: Record<string, number[]> = {};
      const series = 1 + random.int(3);
      for (let s = 0; s < series; s++) samples[`run ${s}`] = draw(kind, 20 + random.int(300), random);
      const finite = Object.values(samples).flat().filter(Number.isFinite);
      const [lo, hi] = [Math.min(...finite), Math.max(...finite)];
      const { edges, counts, totals } = binSamples(samples, bins, log);
      // closed form: equal steps from the smallest to the largest finite value, in log10 on a log axis
      assert.equal(edges.length, bins + 1);
      edges.forEach((edge, k) => {
        const expected = log ? 10 ** (Math.log10(lo) + ((Math.log10(hi) - Math.log10(lo)) * k) / bins) : lo + ((hi - lo) * k) / bins;
        assert.ok(close(edge, expected, 1e-12), `trial ${trial}: edge ${k} is ${edge}, expected ${expected}`);
      });
      assert.equal(edges[0], lo);
      assert.equal(edges[bins], hi);
      const chart = histogram(samples, { bins, x: { log } });
      for (const [s, [name, values]] of Object.entries(samples).entries()) {
        const kept = values.filter(Number.isFinite);
        // a direct count: edges[k] <= v < edges[k + 1], the last bin closed
        const direct = edges.slice(0, -1).map((e, k) => kept.filter((v) => v >= e && (k === bins - 1 ? v <= edges[k + 1] : v < edges[k + 1])).length);
        assert.deepEqual(counts[name], direct, `trial ${trial} (${kind}, ${bins} bins): ${name}`);
        assert.equal(totals[name], kept.length);
        // the figure shows fractions of the series' finite values, as bars spanning the bins
        const trace = chart.plotly.data[s];
        assert.equal(trace.type, "bar");
        assert.deepEqual(trace.y, direct.map((c) => c / kept.length));
        const widths = trace.width as number[];
        (trace.x as number[]).forEach((centre, k) => {
          assert.ok(close(centre - widths[k] / 2, edges[k]) && close(centre + widths[k] / 2, edges[k + 1]), `bar ${k} spans its bin`);
        });
      }
      if (kind === "integer") {
        // integers 0..10 on 10 bins: every value sits on an edge; 9 and 10 share the last, closed bin
        assert.deepEqual([lo, hi], [0, 10]);
        for (const [name, values] of Object.entries(samples)) {
          const kept = values.filter(Number.isFinite);
          const ones = (v: number) => kept.filter((x) => x === v).length;
          assert.deepEqual(counts[name], [0, 1, 2, 3, 4, 5, 6, 7, 8].map(ones).concat([ones(9) + ones(10)]));
        }
      }
    }
  });

  test("counts or fractions; the Vega-Lite spec holds the same bars and the SVG draws one rect per bar", async () => {
    const random = rng(5);
    const samples = { adam: draw("normal", 400, random), sgd: draw("normal", 150, random).map((v) => v + 2) };
    const chart = histogram(samples, { bins: 12, title: "Final losses", x: { title: "loss" }, normalize: "count" });
    assertValidSpec(chart.vegaLite);
    const { edges, counts } = binSamples(samples, 12, false);
    const bars = (chart.vegaLite.layer ?? []).find((l) => (l.mark as { type: string }).type === "rect");
    assert.ok(bars, "a rect layer");
    const rows = (bars.data as { values: Array<{ series: string; x: number; x2: number; y: number }> }).values;
    assert.equal(rows.length, 24);
    for (const name of ["adam", "sgd"]) {
      const mine = rows.filter((r) => r.series === name);
      assert.deepEqual(mine.map((r) => r.y), counts[name as "adam" | "sgd"]);
      mine.forEach((r, k) => assert.ok(close(r.x, edges[k]) && close(r.x2, edges[k + 1])));
    }
    assert.equal(chart.plotly.layout?.yaxis?.title?.text, "count");
    assert.equal(chart.plotly.layout?.barmode, "overlay");
    const svg = await chart.toSVG();
    assert.equal(marks(svg, "rect").length, 24);
    const shown = texts(svg);
    for (const label of ["Final losses", "loss", "count", "adam", "sgd"]) assert.ok(shown.includes(label), `${label} missing from ${shown}`);
    // fractions (the default) sum to 1 per series
    const fractions = histogram(samples, { bins: 12 });
    for (const trace of fractions.plotly.data) assert.ok(close((trace.y as number[]).reduce((a, b) => a + b, 0), 1, 1e-12));
  });

  test("log axes: bars on log-spaced bins, standing on the plot's bottom when y is log too", async () => {
    const values = [1, 3, 10, 30, 100, 300, 1000, 1000];
    const chart = histogram({ lr: values }, { bins: 3, x: { log: true }, y: { log: true } });
    assertValidSpec(chart.vegaLite);
    assert.equal(chart.plotly.layout?.xaxis?.type, "log");
    assert.deepEqual(binSamples({ lr: values }, 3, true).counts.lr, [2, 2, 4]);
    const svg = await chart.toSVG();
    assert.equal(marks(svg, "rect").length, 3);
    for (const tick of ["10", "100"]) assert.ok(texts(svg).includes(tick), `log tick ${tick}`);
  });

  test("a single distinct value gets one bin around it", () => {
    const { edges, counts } = binSamples({ a: [2, 2, 2] }, 4, false);
    assert.deepEqual([edges[0], edges[4]], [1.5, 2.5]);
    assert.equal(counts.a.reduce((x, y) => x + y, 0), 3);
  });

  test("bad input is refused, naming the builder and the option", () => {
    assert.throws(() => histogram([1, 2] as never), /^Error: histogram: samples must be an object of named samples, e\.g\. \{ adam: values, sgd: values \}, got an array/);
    assert.throws(() => histogram({}), /histogram: samples must name at least one series/);
    assert.throws(() => histogram({ a: [1] }, { bins: 0 }), /histogram: bins must be an integer in \[1, 1000\], got 0/);
    assert.throws(() => histogram({ a: [1] }, { bins: 2.5 }), /histogram: bins must be an integer in \[1, 1000\], got 2\.5/);
    assert.throws(() => histogram({ a: [1] }, { normalize: "percent" as never }), /histogram: normalize must be one of "fraction", "count", got "percent"/);
    assert.throws(() => histogram({ a: [1, 0] }, { x: { log: true } }), /histogram: samples\["a"\] holds 0, but x is on a log scale \(x\.log\), so its values must be > 0/);
    assert.throws(() => histogram({ a: [Number.NaN] }), /histogram: samples\["a"\] has no finite values to count/);
    assert.throws(() => histogram({ a: [1, "2"] as never }), /histogram: samples\["a"\] must hold numbers, found "2" at index 1/);
    assert.throws(() => histogram({ a: [1] }, { logX: true } as never), /histogram: unknown option "logX" \(allowed: title, x, y, width, height, bins, normalize\)/);
    assert.throws(() => histogram({ a: [1] }, { width: 20 }), /histogram: width must be an integer >= 50 \(pixels\), got 20/);
    // typed arrays are samples too
    assert.equal(histogram({ a: Float32Array.from([1, 2, 3]) }, { bins: 3, normalize: "count" }).plotly.data[0].y?.join(), "1,1,1");
  });
});
