/**
 * MIME bundles for charts: what each carries, that it is plain JSON, that the Vega-Lite part validates
 * against Vega-Lite's own schema, and that the Plotly HTML works: its scripts are run in a `vm` context
 * with a recording stand-in for plotly.js (no browser here), so the test sees the exact newPlot call a
 * browser would make, plotly.js inlined once per session, and later outputs waiting for it.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as vm from "node:vm";
import Ajv from "ajv";
import type { MimeBundle } from "../../src/host";
import { PLOTLY_MIME, VEGA_LITE_MIME } from "../../src/host";
import { plotlyBundle, resetPlotlySession, vegaLiteBundle } from "../../src/plot";
import { lineChart, type PlotlyFigure, type VegaLiteSpec } from "../../src/plot";

const ajv = new Ajv({ strict: false, allowUnionTypes: true });
const validateVegaLite = ajv.compile(require("vega-lite/build/vega-lite-schema.json"));

const PLOTLY_HEADER = "plotly.js v3"; // the licence header at the top of plotly.min.js

function scripts(html: string): string[] {
  return [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
}

interface Page {
  window: Record<string, unknown>;
  calls: unknown[][];
  timers: Array<() => void>;
}

/** A page with a stand-in Plotly that records its newPlot calls; `plotly: false` starts without one. */
function page(options: { plotly: boolean }): Page {
  const calls: unknown[][] = [];
  const timers: Array<() => void> = [];
  const window: Record<string, unknown> = {
    setInterval: (callback: () => void) => timers.push(callback),
    clearInterval: () => timers.splice(0),
  };
  window.window = window;
  if (options.plotly) window.Plotly = { newPlot: (...args: unknown[]) => calls.push(args) };
  vm.createContext(window);
  return { window, calls, timers };
}

function run(target: Page, html: string): void {
  for (const code of scripts(html)) vm.runInContext(code, target.window);
}

function assertJson(bundle: MimeBundle): void {
  assert.deepEqual(JSON.parse(JSON.stringify(bundle)), bundle);
}

const figure: PlotlyFigure = {
  data: [
    { type: "scatter", mode: "lines", name: "train", x: [1, 2, 3], y: [1, 0.5, 0.25] },
    { type: "scatter", mode: "markers", name: "</script><script>window.pwned = 1</script>", x: [1, 2, 3], y: [0.9, 0.6, null] },
  ],
  layout: { title: { text: "loss" }, yaxis: { type: "log", title: { text: "loss" } } },
};

describe("plotlyBundle", () => {
  test("carries the figure, self-contained HTML, an SVG of the same data and a text line, all JSON", async () => {
    resetPlotlySession();
    const bundle = await plotlyBundle(figure);
    assert.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, "image/svg+xml", "text/html", "text/plain"].sort());
    assert.deepEqual(bundle[PLOTLY_MIME], figure);
    assertJson(bundle);
    assert.equal(bundle["text/plain"], "<Plotly figure: loss: 2 traces>");
    const svg = bundle["image/svg+xml"] as string;
    assert.match(svg, /^<svg[^>]*>[\s\S]*<\/svg>$/);
    // the static image shows both traces: the line, and two markers (null is a gap)
    assert.equal((svg.match(/<g class="mark-line role-mark/g) ?? []).length, 1);
    assert.equal((svg.match(/aria-roledescription="point"/g) ?? []).length, 2);
    assert.ok(svg.includes(">loss<"));
  });

  test("plotly.js is inlined into the session's first bundle only; later ones draw with window.Plotly", async () => {
    resetPlotlySession();
    const first = (await plotlyBundle(figure))["text/html"] as string;
    const second = (await plotlyBundle(figure))["text/html"] as string;
    assert.equal(first.split(PLOTLY_HEADER).length - 1, 1);
    assert.equal(second.split(PLOTLY_HEADER).length - 1, 0);
    assert.ok(second.length < 2_000);
    resetPlotlySession();
    const afterReset = (await plotlyBundle(figure))["text/html"] as string;
    assert.equal(afterReset.split(PLOTLY_HEADER).length - 1, 1, "a new session inlines it again");
  });

  test("the inlined library is valid JavaScript and is not run again where Plotly is already loaded", async () => {
    resetPlotlySession();
    const html = (await plotlyBundle(figure))["text/html"] as string;
    const [library, draw] = scripts(html);
    assert.ok(library.includes(PLOTLY_HEADER));
    assert.doesNotThrow(() => new vm.Script(library, { filename: "plotly-inline.js" }));
    // a page that has Plotly (an earlier output, or a notebook reopened in the same tab): the guard skips the
    // library (which would need a DOM here), and the figure is drawn straight away
    const loaded = page({ plotly: true });
    run(loaded, html);
    assert.equal(loaded.calls.length, 1);
    assert.ok(draw.includes("newPlot"));
  });

  test("the draw call gets the div's id and the figure as it is, script-breaking text included", async () => {
    resetPlotlySession();
    await plotlyBundle(figure); // the session's first bundle carries the library
    const html = (await plotlyBundle(figure))["text/html"] as string;
    // the hostile trace name cannot close the script element: one script, nothing else runs
    assert.equal(scripts(html).length, 1);
    const target = page({ plotly: true });
    run(target, html);
    assert.equal(target.window.pwned, undefined);
    assert.equal(target.calls.length, 1);
    const [id, data, layout, config] = target.calls[0];
    assert.equal(html.match(/<div id="([^"]+)"/)?.[1], id);
    // vm objects come from another realm: compare as JSON
    assert.deepEqual(JSON.parse(JSON.stringify(data)), figure.data);
    assert.deepEqual(JSON.parse(JSON.stringify(layout)), figure.layout);
    assert.deepEqual(JSON.parse(JSON.stringify(config)), { responsive: true });
    const other = (await plotlyBundle(figure))["text/html"] as string;
    assert.notEqual(other.match(/<div id="([^"]+)"/)?.[1], id, "every output draws into its own div");
  });

  test("an output that renders before plotly.js has loaded waits for it, then draws once", async () => {
    resetPlotlySession();
    await plotlyBundle(figure);
    const html = (await plotlyBundle({ ...figure, config: { displaylogo: false } }))["text/html"] as string;
    const target = page({ plotly: false });
    run(target, html);
    assert.equal(target.timers.length, 1, "polls for window.Plotly");
    target.timers[0]();
    assert.equal(target.calls.length, 0);
    const calls: unknown[][] = [];
    target.window.Plotly = { newPlot: (...args: unknown[]) => calls.push(args) };
    target.timers[0]();
    assert.equal(calls.length, 1);
    assert.equal(target.timers.length, 0, "stops polling");
    assert.deepEqual(JSON.parse(JSON.stringify(calls[0][3])), { responsive: true, displaylogo: false });
  });

  test("trace types without a static rendering still display, without the image; bad figures are refused", async () => {
    const pie = await plotlyBundle({ data: [{ type: "pie", values: [3, 4], labels: ["a", "b"] }] });
    assert.ok(!("image/svg+xml" in pie));
    assert.ok(typeof pie["text/html"] === "string");
    assert.equal(pie["text/plain"], '<Plotly figure: 1 trace; no static image: trace 0 has type "pie">');
    await assert.rejects(plotlyBundle({ layout: {} } as unknown as PlotlyFigure), /plotly: the figure must be an object with a data array of traces/);
  });
});

describe("vegaLiteBundle", () => {
  const spec: VegaLiteSpec = {
    title: "points",
    data: { values: [{ a: 1, b: 2 }, { a: 2, b: 8 }, { a: 3, b: 32 }] },
    mark: "point",
    encoding: { x: { field: "a", type: "quantitative", title: "the a axis" }, y: { field: "b", type: "quantitative", scale: { type: "log" } } },
  };

  test("the spec with its $schema, valid against Vega-Lite's schema, an SVG showing it, and a text line", async () => {
    const bundle = await vegaLiteBundle(spec);
    assertJson(bundle);
    const carried = bundle[VEGA_LITE_MIME] as VegaLiteSpec;
    assert.equal(carried.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
    assert.ok(validateVegaLite(carried), ajv.errorsText(validateVegaLite.errors));
    assert.equal(bundle["text/plain"], "<Vega-Lite chart: points (point mark; 3 data rows)>");
    const layered = await vegaLiteBundle(lineChart([{ name: "a", x: [1, 2], y: [1, 2], mode: "lines+markers" }]).toSpec());
    assert.equal(layered["text/plain"], "<Vega-Lite chart (line, point marks; 2 data rows)>");
    const svg = bundle["image/svg+xml"] as string;
    assert.ok(svg.includes(">the a axis<") && svg.includes(">points<"));
    // three points; b = 2, 8, 32 on a log axis are equally spaced in the picture
    const ys = [...svg.matchAll(/aria-roledescription="point" transform="translate\(([-\d.]+),([-\d.]+)\)"/g)].map((m) => Number(m[2]));
    assert.equal(ys.length, 3);
    assert.ok(Math.abs(ys[0] - ys[1] - (ys[1] - ys[2])) < 1e-6 && ys[0] > ys[1], `log spacing: ${ys}`);
    // rendering leaves the caller's spec plain JSON (vega tags the rows it renders)
    assert.deepEqual(Object.getOwnPropertySymbols((spec.data as { values: object[] }).values[0]), []);
  });

  test("a Chart's display bundle: its spec, its figure, its SVG and its text, without HTML", async () => {
    const chart = lineChart([{ name: "a", x: [0, 1, 2], y: [1, 2, 4] }], { title: "T", y: { log: true } });
    const display = (chart as unknown as Record<symbol, () => Promise<MimeBundle>>)[Symbol.for("Jupyter.display")];
    const bundle = await display.call(chart);
    // no text/html: JupyterLab ranks HTML above Vega-Lite and sanitises it to an empty div in untrusted notebooks
    assert.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, VEGA_LITE_MIME, "image/svg+xml", "text/plain"].sort());
    assertJson(bundle);
    assert.ok(validateVegaLite(bundle[VEGA_LITE_MIME]), ajv.errorsText(validateVegaLite.errors));
    assert.equal(bundle["text/plain"], "<T: 1 series, 3 points>");
    assert.equal(chart.toSpec(), chart.vegaLite);
  });

  test("a spec that does not compile, or no spec, is an error", async () => {
    await assert.rejects(vegaLiteBundle({ mark: "nonsense-mark" }), /vegalite: the spec does not compile/);
    await assert.rejects(vegaLiteBundle(null as unknown as VegaLiteSpec), /vegalite: the spec must be a Vega-Lite object, got null/);
  });
});
